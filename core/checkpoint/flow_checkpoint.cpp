#include "core/checkpoint/flow_checkpoint.h"

#include "core/checkpoint/py_json.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"

namespace ds::checkpoint {

namespace {

const io::PyValue* dictEntry(const io::PyValue& root, const char* key) {
    const auto* v = root.find(key);
    return v && v->is(io::PyValue::Kind::Dict) ? v : nullptr;
}

int64_t intEntry(const io::PyValue& dict, const char* key) {
    const auto* v = dict.find(key);
    if (!v) return -1;
    if (v->is(io::PyValue::Kind::Int)) return v->asInt();
    if (v->is(io::PyValue::Kind::Tensor) && v->asTensor().numel() == 1) return v->asTensor().item<int64_t>();
    return -1;
}

// torchcfm's examples: the network and its EMA under net_model / ema_model.
bool isTorchCfmCheckpoint(const io::PyValue& root) {
    const auto* net = dictEntry(root, "net_model");
    if (!net) net = dictEntry(root, "ema_model");
    return net && nn::OpenAiUnetConfig::looksLikeOpenAiUnet(StateDict::fromPyDict(*net).withoutWrapperPrefixes());
}

void readTorchCfm(const io::PyValue& root, FlowCheckpoint& ck) {
    ck.format = "torchcfm";
    ck.backbone = "torchcfm";
    if (const auto* net = dictEntry(root, "net_model")) ck.online = StateDict::fromPyDict(*net).withoutWrapperPrefixes();
    if (const auto* ema = dictEntry(root, "ema_model")) ck.ema = StateDict::fromPyDict(*ema).withoutWrapperPrefixes();
    ck.step = intEntry(root, "step");
    ck.torchcfm = nn::OpenAiUnetConfig::inferFromStateDict(ck.online.empty() ? ck.ema : ck.online, nn::OpenAiUnetConfig{});
}

}  // namespace

int64_t FlowCheckpoint::parameterCount() const {
    int64_t n = 0;
    for (const auto& [name, t] : (online.empty() ? ema : online).entries()) n += t.numel();
    return n;
}

int FlowCheckpoint::channels() const {
    return isLucidrains() ? lucidrains.channels : isTorchCfm() ? torchcfm.inChannels : unet.channels;
}
int FlowCheckpoint::downsampleFactor() const {
    return isLucidrains() ? lucidrains.downsampleFactor() : isTorchCfm() ? torchcfm.downsampleFactor() : unet.downsampleFactor();
}
std::string FlowCheckpoint::summary() const {
    return isLucidrains() ? lucidrains.summary() : isTorchCfm() ? torchcfm.summary() : unet.summary();
}
nlohmann::json FlowCheckpoint::networkJson() const {
    if (isLucidrains()) return {{"lucidrains_unet", lucidrains.toJson()}};
    if (isTorchCfm()) return {{"torchcfm_unet", torchcfm.toJson()}};
    return {{"flow_unet", unet.toJson()}};
}

bool isFlowCheckpoint(const io::PyValue& root) {
    if (!root.is(io::PyValue::Kind::Dict)) return false;
    if (isTorchCfmCheckpoint(root)) return true;
    if (const auto* cfg = dictEntry(root, "config")) {
        const auto* family = cfg->find("family");
        if (family && family->is(io::PyValue::Kind::String) && family->asString() == "flow") return true;
    }
    const auto* model = dictEntry(root, "model_state_dict");
    return model && flow::FlowUnetConfig::looksLikeFlowUnet(StateDict::fromPyDict(*model).withoutWrapperPrefixes());
}

FlowCheckpoint readFlowCheckpoint(const std::string& path) { return readFlowCheckpoint(path, *io::loadTorchFile(path)); }

FlowCheckpoint readFlowCheckpoint(const std::string& path, const io::PyValue& root) {
    FlowCheckpoint ck;
    ck.path = path;
    try {
        if (isTorchCfmCheckpoint(root)) {
            readTorchCfm(root, ck);
            return ck;
        }
        if (!isFlowCheckpoint(root))
            throw Error("not a flow-matching checkpoint (neither the seed's model_state_dict with input_proj, time_proj, down.* "
                        "nor torchcfm's net_model with time_embed, input_blocks, out)");
        ck.online = StateDict::fromPyDict(*dictEntry(root, "model_state_dict")).withoutWrapperPrefixes();
        if (const auto* ema = dictEntry(root, "ema_model_state_dict")) {
            // AveragedModel: the wrapped model under `module.`, and its update count.
            ck.emaUpdates = intEntry(*ema, "n_averaged");
            const auto all = StateDict::fromPyDict(*ema);
            StateDict weights;
            for (const auto& [name, t] : all.entries())
                if (name != "n_averaged") weights.add(name, t);
            ck.ema = weights.withoutWrapperPrefixes();
        }
        ck.step = intEntry(root, "step");
        ck.epoch = intEntry(root, "epoch");
        ck.format = "cfm-seed";
        flow::FlowUnetConfig defaults;
        if (const auto* cfg = dictEntry(root, "config")) {
            ck.runConfig = toJson(*cfg);
            ck.format = "diffusion-studio";
            if (ck.runConfig.contains("class_names") && ck.runConfig["class_names"].is_array())
                ck.classNames = ck.runConfig["class_names"].get<std::vector<std::string>>();
            const std::string backbone = ck.runConfig.contains("flow") ? ck.runConfig["flow"].value("backbone", "cfm") : "cfm";
            if (backbone == "lucidrains" || backbone == "torchcfm") {
                const auto& flow = ck.runConfig["flow"];
                ck.backbone = backbone;
                if (backbone == "lucidrains") ck.lucidrains = nn::UnetConfig::fromJson(flow.at("lucidrains_unet"));
                else ck.torchcfm = nn::OpenAiUnetConfig::fromJson(flow.at("torchcfm_unet"));  // heads and order recorded
                ck.imageSize = flow.value("image_size", 0);
                return ck;
            }
            if (ck.runConfig.contains("flow") && ck.runConfig["flow"].contains("unet")) {
                const auto& stored = ck.runConfig["flow"];
                defaults = flow::FlowUnetConfig::fromJson(stored["unet"]);
                ck.groupsRecorded = true;
                ck.imageSize = stored.value("image_size", 0);
            }
        }
        ck.unet = flow::FlowUnetConfig::inferFromStateDict(ck.online, defaults);
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
    return ck;
}

namespace {

// torchcfm's UNetModel with the caller's heads and attention order.
nn::OpenAiUnetConfig torchCfmConfig(const FlowCheckpoint& ck, const FlowBuildOptions& options) {
    auto config = ck.torchcfm;
    if (options.heads > 0) {
        config.numHeads = options.heads;
        config.numHeadChannels = -1;
    }
    if (options.headChannels > 0) config.numHeadChannels = options.headChannels;
    if (!options.attentionOrder.empty()) {
        if (options.attentionOrder != "legacy" && options.attentionOrder != "new")
            throw Error("unknown --attention-order '" + options.attentionOrder + "' (expected legacy or new)");
        config.useNewAttentionOrder = options.attentionOrder == "new";
    }
    return config;
}

flow::VelocityNetwork emptyNetwork(const FlowCheckpoint& ck, const FlowBuildOptions& options) {
    const bool headOptions = options.heads > 0 || options.headChannels > 0 || !options.attentionOrder.empty();
    if (headOptions && !ck.isTorchCfm())
        throw Error("--heads, --head-channels and --attention-order apply to torchcfm's UNetModel");
    if (ck.isTorchCfm()) {
        if (options.groups > 0) throw Error("--groups applies to the seed's U-Net; torchcfm's UNetModel uses GroupNorm32");
        return flow::VelocityNetwork(nn::OpenAiUnet(torchCfmConfig(ck, options)));
    }
    if (ck.isLucidrains()) {
        if (options.groups > 0) throw Error("--groups applies to the seed's U-Net; this flow uses the lucidrains backbone");
        return flow::VelocityNetwork(nn::Unet(ck.lucidrains));
    }
    auto config = ck.unet;
    if (options.groups > 0) config.groups = options.groups;
    return flow::VelocityNetwork(flow::FlowUnet(config));  // validates: a wrong --groups fails here, with the channels named
}

}  // namespace

flow::VelocityNetwork buildVelocityNetwork(const FlowCheckpoint& ck, const FlowBuildOptions& options) {
    try {
        if (options.weights != "ema" && options.weights != "online")
            throw Error("unknown weights '" + options.weights + "' (expected ema or online)");
        if (options.weights == "ema" && !ck.hasEma()) throw Error("the checkpoint has no EMA weights (use --weights online)");
        if (options.weights == "online" && ck.online.empty()) throw Error("the checkpoint has no online weights (use --weights ema)");
        auto net = emptyNetwork(ck, options);
        (options.weights == "ema" ? ck.ema : ck.online)
            .loadInto(*net.module(), options.weights == "ema" ? "the EMA weights" : "the online weights");
        net.train(false);
        net.to(options.device);
        return net;
    } catch (const Error& e) {
        throw fileError(ck.path, e.what());
    }
}

}  // namespace ds::checkpoint
