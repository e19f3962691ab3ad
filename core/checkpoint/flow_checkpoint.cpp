// SPDX-License-Identifier: GPL-3.0-or-later
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

// torchcfm's examples: the network and its EMA under net_model / ema_model.
bool isTorchCfmCheckpoint(const io::PyValue& root) {
    const auto* net = dictEntry(root, "net_model");
    if (!net) net = dictEntry(root, "ema_model");
    return net && nn::OpenAiUnetConfig::looksLikeOpenAiUnet(StateDict::fromPyDict(*net).withoutWrapperPrefixes());
}

void readTorchCfm(const io::PyValue& root, FlowCheckpoint& ck) {
    ck.format = FlowCheckpoint::Format::TorchCfm;
    if (const auto* net = dictEntry(root, "net_model"))
        ck.online = StateDict::fromPyDict(*net).withoutWrapperPrefixes();
    if (const auto* ema = dictEntry(root, "ema_model")) ck.ema = StateDict::fromPyDict(*ema).withoutWrapperPrefixes();
    ck.step = root.integerOr("step", -1);
    ck.network =
        nn::OpenAiUnetConfig::inferFromStateDict(ck.online.empty() ? ck.ema : ck.online, nn::OpenAiUnetConfig{});
}

// Our conditional runs (config "conditional") record K class names for a K + 1 row label_emb.
void settleNullClass(FlowCheckpoint& ck) {
    if (!ck.runConfig.is_object() || !ck.runConfig.contains("conditional")) return;
    const int rows = ck.network.numClasses();
    if (rows != int(ck.classNames.size()) + 1)
        throw Error("a class-conditional run recording " + std::to_string(ck.classNames.size()) +
                    " classes, but its class embedding has " + std::to_string(rows) +
                    " rows (the classes and the null class expected)");
    ck.hasNullClass = true;
}

}  // namespace

int64_t FlowCheckpoint::parameterCount() const {
    int64_t n = 0;
    for (const auto& [name, t] : (online.empty() ? ema : online).entries()) n += t.numel();
    return n;
}

nlohmann::json FlowCheckpoint::networkJson() const {
    // `info` names g4vrel/CFM's options flow_unet, where the run configuration says unet.
    const bool flowUnet = network.backbone() == flow::Backbone::FlowUnet;
    return {{flowUnet ? "flow_unet" : network.jsonKey(), network.optionsJson()}};
}

bool isFlowCheckpoint(const io::PyValue& root) {
    if (!root.is(io::PyValue::Kind::Dict)) return false;
    if (isTorchCfmCheckpoint(root)) return true;
    if (const auto* cfg = dictEntry(root, "config")) {
        const auto* family = cfg->find("family");
        if (family && family->is(io::PyValue::Kind::String) &&
            api::parseFamily(family->asString()) == api::ModelFamily::Flow)
            return true;
    }
    const auto* model = dictEntry(root, "model_state_dict");
    return model && flow::FlowUnetConfig::looksLikeFlowUnet(StateDict::fromPyDict(*model).withoutWrapperPrefixes());
}

FlowCheckpoint readFlowCheckpoint(const std::string& path) {
    return readFlowCheckpoint(path, *io::loadTorchFile(path));
}

FlowCheckpoint readFlowCheckpoint(const std::string& path, const io::PyValue& root) {
    FlowCheckpoint ck;
    ck.path = path;
    try {
        if (isTorchCfmCheckpoint(root)) {
            readTorchCfm(root, ck);
            return ck;
        }
        if (!isFlowCheckpoint(root))
            throw Error(
                "not a flow-matching checkpoint (neither g4vrel/CFM's model_state_dict with input_proj, time_proj, "
                "down.* "
                "nor torchcfm's net_model with time_embed, input_blocks, out)");
        ck.online = StateDict::fromPyDict(*dictEntry(root, "model_state_dict")).withoutWrapperPrefixes();
        if (const auto* ema = dictEntry(root, "ema_model_state_dict")) {
            // AveragedModel: the wrapped model under `module.`, and its update count.
            ck.emaUpdates = ema->integerOr("n_averaged", -1);
            const auto all = StateDict::fromPyDict(*ema);
            StateDict weights;
            for (const auto& [name, t] : all.entries())
                if (name != "n_averaged") weights.add(name, t);
            ck.ema = weights.withoutWrapperPrefixes();
        }
        ck.step = root.integerOr("step", -1);
        ck.epoch = root.integerOr("epoch", -1);
        ck.format = FlowCheckpoint::Format::G4vrelCfm;
        flow::FlowUnetConfig defaults;
        if (const auto* cfg = dictEntry(root, "config")) {
            ck.runConfig = toJson(*cfg);
            ck.format = FlowCheckpoint::Format::DiffusionStudio;
            if (ck.runConfig.contains("class_names") && ck.runConfig["class_names"].is_array())
                ck.classNames = ck.runConfig["class_names"].get<std::vector<std::string>>();
            const auto& stored = ck.runConfig.contains("flow") ? ck.runConfig["flow"] : nlohmann::json::object();
            if (stored.value("backbone", std::string("cfm")) != "cfm" || stored.contains("unet")) {
                const auto recorded = flow::FlowNetworkConfig::fromJson(stored);
                ck.imageSize = stored.value("image_size", 0);
                if (recorded.backbone() != flow::Backbone::FlowUnet) {
                    ck.network = recorded;  // lucidrains and torchcfm (heads and order too) as recorded
                    settleNullClass(ck);
                    return ck;
                }
                defaults = *recorded.as<flow::FlowUnetConfig>();
                ck.groupsRecorded = true;
            }
        }
        ck.network = flow::FlowUnetConfig::inferFromStateDict(ck.online, defaults);
        settleNullClass(ck);
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
    return ck;
}

namespace {

// torchcfm's UNetModel with the caller's heads and attention order.
nn::OpenAiUnetConfig torchCfmConfig(const nn::OpenAiUnetConfig& recorded, const FlowBuildOptions& options) {
    auto config = recorded;
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
    const auto* torchcfm = ck.network.as<nn::OpenAiUnetConfig>();
    if (headOptions && !torchcfm)
        throw Error("--heads, --head-channels and --attention-order apply to torchcfm's UNetModel");
    if (torchcfm) {
        if (options.groups > 0)
            throw Error("--groups applies to g4vrel/CFM's U-Net; torchcfm's UNetModel uses GroupNorm32");
        return flow::VelocityNetwork(torchCfmConfig(*torchcfm, options));
    }
    const auto* unet = ck.network.as<flow::FlowUnetConfig>();
    if (!unet) {
        if (options.groups > 0)
            throw Error("--groups applies to g4vrel/CFM's U-Net; this flow uses the lucidrains backbone");
        return flow::VelocityNetwork(ck.network);
    }
    auto config = *unet;
    if (options.groups > 0) config.groups = options.groups;
    return flow::VelocityNetwork(config);  // validates: a wrong --groups fails here, with the channels named
}

}  // namespace

const char* FlowCheckpoint::formatName(Format f) {
    switch (f) {
    case Format::G4vrelCfm: return "cfm-seed";
    case Format::TorchCfm: return "torchcfm";
    case Format::DiffusionStudio: return "diffusion-studio";
    }
    return "?";
}

flow::VelocityNetwork buildVelocityNetwork(const FlowCheckpoint& ck, const FlowBuildOptions& options) {
    try {
        const bool ema = options.weights == api::Weights::Ema;
        if (ema && !ck.hasEma()) throw Error("the checkpoint has no EMA weights (use --weights online)");
        if (!ema && ck.online.empty()) throw Error("the checkpoint has no online weights (use --weights ema)");
        auto net = emptyNetwork(ck, options);
        (ema ? ck.ema : ck.online).loadInto(*net.module(), ema ? "the EMA weights" : "the online weights");
        net.train(false);
        net.to(options.device);
        return net;
    } catch (const Error& e) {
        throw fileError(ck.path, e.what());
    }
}

}  // namespace ds::checkpoint
