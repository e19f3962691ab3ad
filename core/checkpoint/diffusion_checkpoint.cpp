// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/checkpoint/diffusion_checkpoint.h"

#include "core/checkpoint/flow_checkpoint.h"
#include "core/checkpoint/py_json.h"
#include "core/checkpoint/unet_architecture.h"
#include "core/diffusion/beta_schedule.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"

namespace ds::checkpoint {

namespace {

bool isStateDictOfDiffusion(const StateDict& sd) {
    return sd.contains("betas") && sd.contains("model.init_conv.weight");
}

// classifier_free_guidance.py's Unet: class embeddings and a null class beside the main layout.
bool isConditionalUnet(const StateDict& unet) {
    return unet.contains("classes_emb.weight") && unet.contains("null_classes_emb") &&
           unet.contains("init_conv.weight");
}

std::string describeTopLevel(const io::PyValue& root) {
    if (!root.is(io::PyValue::Kind::Dict)) return std::string("a ") + root.kindName();
    std::string keys;
    for (const auto& k : root.keys()) keys += (keys.empty() ? "" : ", ") + k;
    return "a dict with keys {" + keys + "}";
}

void readDiffusionConfig(DiffusionCheckpoint& ck) {
    const auto betas = ck.online.at("betas");
    ck.diffusion.timesteps = static_cast<int>(betas.numel());
    ck.diffusion.betaSchedule = inferBetaSchedule(betas);
    std::string objective;
    bool minSnr = false;
    double gamma = 5.0;
    if (inferObjective(ck.online.at("alphas_cumprod"), ck.online.at("loss_weight"), objective, minSnr, gamma)) {
        ck.diffusion.objective = objective;
        ck.diffusion.minSnrLossWeight = minSnr;
        ck.diffusion.minSnrGamma = gamma;
    }
}

}  // namespace

std::string DiffusionCheckpoint::architectureSummary() const {
    if (!cfgUnet) return unet.summary();
    const auto& c = *cfgUnet;
    std::string mults;
    for (int m : c.dimMults) mults += (mults.empty() ? "" : ", ") + std::to_string(m);
    return "class-conditional Unet(dim=" + std::to_string(c.dim) + ", num_classes=" + std::to_string(c.numClasses) +
           ", dim_mults=(" + mults + "), channels=" + std::to_string(c.channels) +
           (c.learnedVariance ? ", learned_variance=True" : "") + ", mid attention " + std::to_string(c.attnHeads) +
           "x" + std::to_string(c.attnDimHead) + ")";
}

int64_t DiffusionCheckpoint::parameterCount() const {
    int64_t n = 0;
    for (const auto& [name, t] : online.entries())
        if (name.rfind("model.", 0) == 0) n += t.numel();
    return n;
}

std::string inferBetaSchedule(const torch::Tensor& betas) {
    const auto b = betas.to(torch::kDouble);
    for (const char* name : {"sigmoid", "cosine", "linear"}) {
        auto ref = diffusion::betaSchedule(name, b.numel()).to(torch::kFloat).to(torch::kDouble);
        if (torch::allclose(b, ref, 1e-5, 1e-8)) return name;
    }
    return "custom";
}

bool inferObjective(const torch::Tensor& alphasCumprod, const torch::Tensor& lossWeight, std::string& objective,
                    bool& minSnr, double& gamma) {
    const auto ac = alphasCumprod.to(torch::kDouble);
    const auto w = lossWeight.to(torch::kDouble);
    const auto snr = ac / (1.0 - ac);
    // For each objective, undo its division to recover the (maybe clipped) SNR; the right one
    // gives min(snr, gamma) for some gamma (infinite when not clipped).
    const std::vector<std::pair<std::string, torch::Tensor>> candidates{
        {"pred_noise", w * snr}, {"pred_x0", w}, {"pred_v", w * (snr + 1.0)}};
    for (const auto& [name, clipped] : candidates) {
        if (torch::allclose(clipped, snr, 1e-4, 1e-6)) {
            objective = name;
            minSnr = false;
            return true;
        }
        const double g = clipped.max().item<double>();
        if (torch::allclose(clipped, snr.clamp_max(g), 1e-4, 1e-6)) {
            objective = name;
            minSnr = true;
            gamma = g;
            return true;
        }
    }
    return false;
}

DiffusionCheckpoint readDiffusionCheckpoint(const std::string& path) {
    return readDiffusionCheckpoint(path, *io::loadTorchFile(path));
}

DiffusionCheckpoint readDiffusionCheckpoint(const std::string& path, const io::PyValue& rootValue) {
    const auto* root = &rootValue;
    DiffusionCheckpoint ck;
    ck.path = path;
    try {
        if (!root->is(io::PyValue::Kind::Dict))
            throw Error("not a diffusion checkpoint: it holds " + describeTopLevel(*root));
        // Flow checkpoints open through readFlowCheckpoint (sampling and `info` route them there).
        if (isFlowCheckpoint(*root))
            throw Error(
                "a flow-matching checkpoint (g4vrel/CFM's U-Net), not a diffusion model: open it with the flow reader");
        if (root->contains("net_model"))
            throw Error("a torchcfm checkpoint (net_model/ema_model of its UNetModel), which is not supported");

        StateDict whole;
        if (const auto* model = root->find("model"); model && model->is(io::PyValue::Kind::Dict))
            whole = StateDict::fromPyDict(*model).withoutWrapperPrefixes();
        else whole = StateDict::fromPyDict(*root).withoutWrapperPrefixes();  // a bare GaussianDiffusion state_dict
        if (!isStateDictOfDiffusion(whole) && isConditionalUnet(whole)) {
            // A bare Unet.state_dict(): the schedule is not in the file; lucidrains' defaults
            // (classifier_free_guidance.GaussianDiffusion: 1000 steps, cosine, pred_noise).
            diffusion::DiffusionConfig defaults;
            defaults.timesteps = 1000;
            defaults.betaSchedule = "cosine";
            defaults.objective = "pred_noise";
            StateDict withSchedule;
            for (auto& [name, t] : diffusion::GaussianDiffusionImpl::scheduleBuffers(defaults))
                withSchedule.add(name, t);
            for (const auto& [name, t] : whole.entries()) withSchedule.add("model." + name, t);
            whole = withSchedule;
            ck.scheduleKnown = false;
        }
        if (!isStateDictOfDiffusion(whole)) {
            const auto unet = whole.withPrefix("model.");
            if (looksLikeLegacyLucidrainsUnet(unet) || looksLikeLegacyLucidrainsUnet(whole)) {
                const auto* v = root->find("version");
                throw Error(std::string("a denoising_diffusion_pytorch 1.x checkpoint") +
                            (v && v->is(io::PyValue::Kind::String) ? " (version " + v->asString() + ")" : "") +
                            ": its Unet layout (GroupNorm blocks, fn.fn. wrappers) is not supported; use 2.x");
            }
            throw Error("not a diffusion checkpoint: it holds " + describeTopLevel(*root));
        }
        ck.online = whole;
        if (const auto* ema = root->find("ema"); ema && ema->is(io::PyValue::Kind::Dict))
            ck.ema = StateDict::fromPyDict(*ema).withPrefix("ema_model.");
        if (const auto* v = root->find("version"); v && v->is(io::PyValue::Kind::String)) ck.version = v->asString();
        if (const auto* s = root->find("step"); s && s->is(io::PyValue::Kind::Int)) ck.step = s->asInt();

        const auto unetKeys = whole.withPrefix("model.");
        // classifier_free_guidance.py's Unet shares 1.x's block names (fn.fn. wrappers): its class
        // embeddings tell it apart.
        if (!isConditionalUnet(unetKeys) && looksLikeLegacyLucidrainsUnet(unetKeys))
            throw Error("a denoising_diffusion_pytorch 1.x checkpoint" +
                        (ck.version.empty() ? std::string() : " (version " + ck.version + ")") +
                        ": its Unet layout is not supported; use 2.x");
        if (isConditionalUnet(unetKeys)) ck.cfgUnet = nn::CfgUnetConfig::inferFromStateDict(unetKeys);
        else ck.unet = inferUnetConfig(unetKeys);
        readDiffusionConfig(ck);

        ck.format = DiffusionCheckpoint::Format::Lucidrains;
        if (const auto* cfg = root->find("config"); cfg && cfg->is(io::PyValue::Kind::Dict)) {
            ck.runConfig = toJson(*cfg);
            ck.format = DiffusionCheckpoint::Format::DiffusionStudio;
            if (ck.runConfig.contains("diffusion")) {
                const auto stored = diffusion::DiffusionConfig::fromJson(ck.runConfig["diffusion"]);
                ck.diffusion.imageSize = stored.imageSize;
                ck.diffusion.samplingTimesteps = stored.samplingTimesteps;
                ck.diffusion.autoNormalize = stored.autoNormalize;
                ck.diffusion.ddimSamplingEta = stored.ddimSamplingEta;
                ck.imageSizeKnown = true;
            }
            if (ck.runConfig.contains("class_names") && ck.runConfig["class_names"].is_array())
                ck.classNames = ck.runConfig["class_names"].get<std::vector<std::string>>();
            if (ck.runConfig.contains("cfg_unet") && ck.isConditional()) {
                // Our class-conditional runs record the attention split the weights do not show.
                const auto stored = nn::CfgUnetConfig::fromJson(ck.runConfig["cfg_unet"]);
                ck.cfgUnet->attnHeads = stored.attnHeads;
                ck.cfgUnet->attnDimHead = stored.attnDimHead;
                ck.cfgUnet->condDropProb = stored.condDropProb;
            }
            if (ck.runConfig.contains("unet") && !ck.isConditional()) {
                const auto stored = nn::UnetConfig::fromJson(ck.runConfig["unet"]);
                ck.unet.sinusoidalPosEmbTheta = stored.sinusoidalPosEmbTheta;
                ck.unet.dropout = stored.dropout;
                ck.unet.randomFourierFeatures = stored.randomFourierFeatures;
            }
        }
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
    return ck;
}

const char* DiffusionCheckpoint::formatName(Format f) {
    return f == Format::Lucidrains ? "lucidrains" : "diffusion-studio";
}

diffusion::GaussianDiffusion buildDiffusionModel(const DiffusionCheckpoint& ck, const ModelBuildOptions& options) {
    try {
        const bool ema = options.weights == api::Weights::Ema;
        if (ema && !ck.hasEma()) throw Error("the checkpoint has no EMA weights (use --weights online)");
        auto config = ck.diffusion;
        if (options.imageSize > 0) config.imageSize = options.imageSize;
        else if (!ck.imageSizeKnown)
            throw Error("the image size is not recorded in this checkpoint: give it with --image-size");
        if (!options.objective.empty()) config.objective = options.objective;
        const int factor = ck.cfgUnet ? ck.cfgUnet->downsampleFactor() : ck.unet.downsampleFactor();
        if (config.imageSize % factor != 0)
            throw Error("image size " + std::to_string(config.imageSize) + " is not a multiple of " +
                        std::to_string(factor) + " (the Unet halves it " + std::to_string(int(std::log2(factor))) +
                        " times)");
        if ((options.heads > 0 || options.headChannels > 0) && !ck.cfgUnet)
            throw Error(
                "--heads and --head-channels apply to torchcfm's UNetModel and lucidrains' class-conditional "
                "Unet; this is lucidrains' main Unet");

        const auto& source = ema ? ck.ema : ck.online;
        diffusion::GaussianDiffusion model{nullptr};
        if (ck.cfgUnet) {
            auto unet = *ck.cfgUnet;
            const int hidden = unet.attnHeads * unet.attnDimHead;
            if (options.heads > 0 || options.headChannels > 0) {
                const int heads = options.headChannels > 0 ? hidden / options.headChannels : options.heads;
                if (heads <= 0 || hidden % heads != 0)
                    throw Error("the middle attention is " + std::to_string(hidden) + " channels wide: " +
                                (options.headChannels > 0 ? std::to_string(options.headChannels) + " channels per head"
                                                          : std::to_string(options.heads) + " heads") +
                                " do not divide it");
                unet.attnHeads = heads;
                unet.attnDimHead = hidden / heads;
            }
            model = diffusion::GaussianDiffusion(nn::CfgUnet(unet), config);
        } else {
            model = diffusion::GaussianDiffusion(nn::Unet(ck.unet), config);
        }
        // The stored buffers win over the recomputed schedule (they are what the model was trained with);
        // an objective override must keep its own loss_weight, which sampling does not use.
        source.loadInto(*model, ema ? "the EMA weights" : "the online weights");
        model->eval();
        model->to(options.device);
        return model;
    } catch (const Error& e) {
        throw fileError(ck.path, e.what());
    }
}

}  // namespace ds::checkpoint
