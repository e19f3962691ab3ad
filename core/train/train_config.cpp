// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/train_config.h"

#include "core/nn/cfg_unet.h"
#include "core/util/error.h"

namespace ds::train {

api::ModelFamily parseModelFamily(const std::string& name) {
    if (const auto family = api::parseFamily(name)) return *family;
    throw Error("unknown model family '" + name + "' (expected " + api::names::choices(api::names::kModelFamilies) +
                ")");
}

api::MixedPrecision parseMixedPrecision(const std::string& name) {
    if (const auto precision = api::parsePrecision(name)) return *precision;
    throw Error("unknown mixed precision '" + name + "' (expected " +
                api::names::choices(api::names::kMixedPrecisions) + ")");
}

nn::CfgUnetConfig TrainConfig::cfgUnet() const {
    nn::CfgUnetConfig c;  // attention: classifier_free_guidance.py's defaults
    c.dim = unet.dim;
    c.dimMults = unet.dimMults;
    c.channels = unet.channels;
    c.numClasses = int(conditioning.classNames.size());
    c.condDropProb = conditioning.dropProb;
    return c;
}

void TrainConfig::makeConditional() {
    conditioning.enabled = true;
    if (isFlow()) {
        conditioning.previewScale = 2.0;
        conditioning.previewRescaledPhi = 0.0;
    } else {
        diffusion.objective = "pred_noise";
        diffusion.betaSchedule = "cosine";
    }
}

void TrainConfig::setClassNames(const std::vector<std::string>& names) {
    conditioning.classNames = names;
    if (isFlow()) flow.network.setNumClasses(names.empty() ? 0 : int(names.size()) + 1);
}

void TrainConfig::validate() const {
    if (isConditional()) {
        if (!(conditioning.dropProb >= 0.0 && conditioning.dropProb < 1.0))
            throw Error("the condition dropout probability must be in [0, 1) (0.5: lucidrains' default)");
        if (conditioning.classNames.size() == 1) throw Error("class-conditional training needs at least two classes");
        if (isFlow()) {
            const int rows = flow.network.numClasses();
            if (!conditioning.classNames.empty() && rows != int(conditioning.classNames.size()) + 1)
                throw Error("the flow network's class embedding has " + std::to_string(rows) + " rows; " +
                            std::to_string(conditioning.classNames.size()) +
                            " classes and the null class need one more than the classes");
        } else {
            if (channelsLast) throw Error("--channels-last is not built for the class-conditional Unet");
            if (unet.selfCondition || unet.learnedVariance)
                throw Error("the class-conditional Unet has neither self-conditioning nor learned variance");
        }
    } else if (isFlow() && flow.network.numClasses() > 0) {
        throw Error("the flow network has a class embedding but the run is not class-conditional");
    }
    if (isFlow()) {
        flow.validate();
    } else {
        unet.resolved();
        diffusion.validate();
        if (diffusion.imageSize % unet.downsampleFactor() != 0)
            throw Error("image size " + std::to_string(diffusion.imageSize) + " is not a multiple of " +
                        std::to_string(unet.downsampleFactor()) + " (dim_mults has " +
                        std::to_string(unet.numStages()) + " stages)");
    }
    lr.validate();
    if (channels() != 1 && channels() != 3) throw Error("channels must be 1 or 3");
    if (batchSize < 1) throw Error("batch size must be at least 1");
    if (gradAccum < 1) throw Error("gradient accumulation must be at least 1");
    if (worldSize < 1) throw Error("world size must be at least 1");
    if (steps < 1) throw Error("steps must be at least 1");
    if (saveEvery < 1 || logEvery < 1) throw Error("save and log intervals must be at least 1");
    if (sampleEvery < 0) throw Error("the preview interval must not be negative (0: no previews)");
    if (keepLast < 1) throw Error("keep-last must be at least 1");
    if (ema.beta < 0.0 || ema.beta >= 1.0) throw Error("EMA decay must be in [0, 1)");
    if (ema.updateEvery < 1) throw Error("EMA update-every must be at least 1");
    if (gradClip < 0.0) throw Error("gradient clipping norm must not be negative");
    if (sampleCount < 1 || sampleSteps < 1) throw Error("sample count and steps must be at least 1");
    if (!isFlow() && api::isOdeSolver(sampleSampler) && sampleSteps < 2)
        throw Error(std::string("the preview sampler ") + api::samplerName(sampleSampler) + " needs at least 2 steps");
    if (loaderThreads < 1) throw Error("loader threads must be at least 1");
    if (fid.every < 0) throw Error("the FID interval must not be negative (0: no FID)");
    if (fid.everySeconds < 0.0) throw Error("the FID's time interval must not be negative (0: none)");
    if (maxSeconds < 0.0) throw Error("the training time limit must not be negative (0: none)");
    if (fid.enabled()) {
        if (fid.reference.empty())
            throw Error(
                "FID during training needs a reference (--fid-reference: a folder, an .npz or fashion-mnist-test)");
        if (fid.samples < 2)
            throw Error("FID during training needs at least 2 samples (thousands for a meaningful value)");
        if (fid.samples < worldSize)
            throw Error("FID during training spreads its " + std::to_string(fid.samples) + " samples over " +
                        std::to_string(worldSize) + " processes: give at least one per process");
        if (fid.batchSize < 1) throw Error("the FID's sampling batch must be at least 1");
        if (fid.dims != 0 && fid.dims != 64 && fid.dims != 192 && fid.dims != 768 && fid.dims != 2048)
            throw Error("unsupported FID dims " + std::to_string(fid.dims) + " (expected 64, 192, 768 or 2048)");
    }
}

nlohmann::json TrainConfig::toJson() const {
    nlohmann::json j = {{"format", "diffusion-studio-run"},
                        {"format_version", kFormatVersion},
                        {"preset", preset},
                        {"data", {{"source", data}, {"hflip", hflip}, {"loader_threads", loaderThreads}}},
                        {"optim",
                         {{"batch_size", batchSize},
                          {"grad_accum", gradAccum},
                          {"lr", lr.toJson()},
                          {"adam_betas", {adamBeta1, adamBeta2}},
                          {"adam_eps", adamEps},
                          {"grad_clip", gradClip}}},
                        {"ema",
                         {{"beta", ema.beta},
                          {"update_every", ema.updateEvery},
                          {"update_after_step", ema.updateAfterStep},
                          {"inv_gamma", ema.invGamma},
                          {"power", ema.power},
                          {"min_value", ema.minValue}}},
                        {"schedule",
                         {{"steps", steps},
                          {"log_every", logEvery},
                          {"save_every", saveEvery},
                          {"sample_every", sampleEvery},
                          {"sample_count", sampleCount},
                          {"sample_steps", sampleSteps},
                          {"keep_last", keepLast}}},
                        {"distributed", {{"world_size", worldSize}, {"global_batch_size", globalBatchSize()}}},
                        {"precision", {{"amp", api::precisionName(amp)}, {"channels_last", channelsLast}}},
                        {"seed", seed},
                        {"device", device}};
    // A diffusion run's file is as before (no family entry); a flow run's has only its own model.
    if (isFlow()) {
        j["family"] = api::familyName(family);
        j["flow"] = flow.toJson();
    } else {
        j["unet"] = unet.toJson();
        j["diffusion"] = diffusion.toJson();
        j["schedule"]["sample_sampler"] = api::samplerName(sampleSampler);
    }
    if (isConditional()) {
        j["conditional"] = {{"cond_drop_prob", conditioning.dropProb},
                            {"preview_cond_scale", conditioning.previewScale},
                            {"preview_rescaled_phi", conditioning.previewRescaledPhi}};
        // Where checkpoint readers look for the names (a checkpoint's config entry is this file).
        j["class_names"] = conditioning.classNames;
        if (!isFlow()) j["cfg_unet"] = cfgUnet().toJson();
    }
    if (fid.enabled())
        j["fid"] = {{"every", fid.every},       {"samples", fid.samples}, {"reference", fid.reference},
                    {"features", fid.features}, {"dims", fid.dims},       {"batch_size", fid.batchSize}};
    if (fid.everySeconds > 0.0) j["fid"]["every_seconds"] = fid.everySeconds;
    if (fid.enabled() && fid.kid) j["fid"]["kid"] = true;
    if (maxSeconds > 0.0) j["schedule"]["max_seconds"] = maxSeconds;
    return j;
}

TrainConfig TrainConfig::fromJson(const nlohmann::json& j) {
    if (j.value("format", std::string()) != "diffusion-studio-run")
        throw Error("not a Diffusion Studio run configuration");
    const int version = j.value("format_version", 0);
    if (version != kFormatVersion)
        throw Error("run configuration format version " + std::to_string(version) +
                    " is not supported (this build reads " + std::to_string(kFormatVersion) + ")");
    TrainConfig c;
    try {
        c.preset = j.value("preset", std::string());
        const auto& d = j.at("data");
        c.data = d.at("source").get<std::string>();
        c.hflip = d.value("hflip", false);
        c.loaderThreads = d.value("loader_threads", c.loaderThreads);
        c.family = parseModelFamily(j.value("family", std::string("diffusion")));
        if (c.isFlow()) {
            c.flow = FlowTrainConfig::fromJson(j.at("flow"));
        } else {
            c.unet = nn::UnetConfig::fromJson(j.at("unet"));
            c.diffusion = diffusion::DiffusionConfig::fromJson(j.at("diffusion"));
        }
        const auto& o = j.at("optim");
        c.batchSize = o.at("batch_size");
        c.gradAccum = o.at("grad_accum");
        c.lr = LrSchedule::fromJson(o.at("lr"));
        c.adamBeta1 = o.at("adam_betas").at(0);
        c.adamBeta2 = o.at("adam_betas").at(1);
        c.adamEps = o.value("adam_eps", c.adamEps);
        c.gradClip = o.value("grad_clip", c.gradClip);
        const auto& e = j.at("ema");
        c.ema.beta = e.at("beta");
        c.ema.updateEvery = e.at("update_every");
        c.ema.updateAfterStep = e.at("update_after_step");
        c.ema.invGamma = e.value("inv_gamma", c.ema.invGamma);
        c.ema.power = e.value("power", c.ema.power);
        c.ema.minValue = e.value("min_value", c.ema.minValue);
        const auto& s = j.at("schedule");
        c.steps = s.at("steps");
        c.logEvery = s.value("log_every", c.logEvery);
        c.saveEvery = s.at("save_every");
        c.sampleEvery = s.at("sample_every");
        c.sampleCount = s.value("sample_count", c.sampleCount);
        c.sampleSteps = s.value("sample_steps", c.sampleSteps);
        c.maxSeconds = s.value("max_seconds", 0.0);
        const std::string sampler = s.value("sample_sampler", std::string("ddim"));  // older runs: DDIM
        if (const auto parsed = api::names::parse(api::names::kSamplers, sampler)) c.sampleSampler = *parsed;
        else
            throw Error("unknown preview sampler '" + sampler + "' (expected " +
                        api::names::choices(api::names::kSamplers) + ")");
        c.keepLast = s.value("keep_last", c.keepLast);
        if (j.contains("distributed")) c.worldSize = j.at("distributed").value("world_size", c.worldSize);
        if (j.contains("precision")) {
            c.amp = parseMixedPrecision(j.at("precision").value("amp", std::string("off")));
            c.channelsLast = j.at("precision").value("channels_last", c.channelsLast);
        }
        c.seed = j.value("seed", c.seed);
        c.device = j.value("device", c.device);
        if (j.contains("conditional")) {
            const auto& k = j.at("conditional");
            c.conditioning.enabled = true;
            c.conditioning.dropProb = k.value("cond_drop_prob", c.conditioning.dropProb);
            c.conditioning.previewScale = k.value("preview_cond_scale", c.conditioning.previewScale);
            c.conditioning.previewRescaledPhi = k.value("preview_rescaled_phi", c.conditioning.previewRescaledPhi);
            c.conditioning.classNames = j.value("class_names", std::vector<std::string>{});
        }
        if (j.contains("fid")) {  // runs without it: no FID
            const auto& f = j.at("fid");
            c.fid.every = f.at("every");
            c.fid.everySeconds = f.value("every_seconds", 0.0);
            c.fid.kid = f.value("kid", false);
            c.fid.samples = f.value("samples", c.fid.samples);
            c.fid.reference = f.value("reference", std::string());
            c.fid.features = f.value("features", std::string());
            c.fid.dims = f.value("dims", 0);
            c.fid.batchSize = f.value("batch_size", c.fid.batchSize);
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("malformed run configuration: ") + e.what());
    }
    return c;
}

namespace {

// The optimisation of the presets that train on a CPU in minutes (tiny, cfm-tiny): batch 32,
// Adam 1e-3 with a short warm-up decaying to a tenth, EMA 0.995 after 50 steps, 1,200 steps with
// a checkpoint and a preview every 200.
void setCpuMinutesRun(TrainConfig& c, const std::string& lrKind) {
    c.batchSize = 32;
    c.lr.lr = 1e-3;
    c.lr.kind = lrKind;
    c.lr.warmupSteps = 100;
    c.lr.finalFactor = 0.1;
    c.ema.beta = 0.995;
    c.ema.updateEvery = 1;
    c.ema.updateAfterStep = 50;
    c.steps = 1200;
    c.saveEvery = 200;
    c.sampleEvery = 200;
}

}  // namespace

TrainConfig TrainConfig::fromPreset(const std::string& name) {
    TrainConfig c;
    c.preset = name;
    if (name == "tiny") {
        // Fashion-MNIST on a CPU in minutes: a small Unet, Adam with a short warm-up.
        c.unet.dim = 16;
        c.unet.dimMults = {1, 2, 4};
        c.unet.channels = 1;
        c.unet.attnHeads = {2};  // attention width 32: upstream's 4 x 32 would outweigh the convs
        c.unet.attnDimHead = {16};
        c.diffusion.imageSize = 32;
        c.diffusion.timesteps = 1000;
        c.diffusion.samplingTimesteps = 50;
        setCpuMinutesRun(c, "cosine");
        return c;
    }
    if (name == "lsun64" || name == "lsun128") {
        // The original LSUN recipe (lucidrains' Trainer): dim 64, mults 1,2,4,8, lr 8e-5,
        // batch 32 with 2 accumulation steps, EMA 0.995, T = 1000 with 250 DDIM steps.
        c.data = "";
        c.unet.dim = 64;
        c.unet.dimMults = {1, 2, 4, 8};
        c.unet.channels = 3;
        c.diffusion.imageSize = name == "lsun64" ? 64 : 128;
        c.diffusion.timesteps = 1000;
        c.diffusion.samplingTimesteps = 250;
        c.batchSize = 32;
        c.gradAccum = 2;
        c.lr.lr = 8e-5;
        c.ema.beta = 0.995;
        c.ema.updateEvery = 10;
        c.hflip = true;
        c.steps = 700000;
        c.saveEvery = 1000;
        c.sampleEvery = 1000;
        c.sampleSteps = 20;  // DPM-Solver++ 2M (lucidrains' 250 DDIM steps took minutes per grid)
        return c;
    }
    if (name == "cfm-tiny") {
        // Flow matching on Fashion-MNIST on a CPU in minutes: a small g4vrel/CFM U-Net and its OT path.
        c.family = api::ModelFamily::Flow;
        flow::FlowUnetConfig unet;
        unet.ch = 16;
        unet.chMul = {1, 2, 2};
        unet.attChannels = {0, 1, 0};
        unet.groups = 8;
        unet.dropout = 0.0;
        unet.channels = 1;
        c.flow.network = unet;
        c.flow.imageSize = 32;
        c.flow.sigma = 1e-4;
        setCpuMinutesRun(c, "linear");
        c.sampleSteps = 20;
        return c;
    }
    if (name == "cfm-seed") {
        // g4vrel/CFM's flow recipe (train.py and conf/config.yaml): Unet(ch=128,
        // att_channels=[0,1,1,0], dropout=0), OT path with sigma_min 1e-4, batch 128 with 2
        // accumulation steps, Adam, warm-up to 5e-4 over 45k steps then linear decay to 1e-8 at
        // 400k, gradient clipping at 1.0, EMA 0.9999, random horizontal flips.
        c.family = api::ModelFamily::Flow;
        c.data = "";
        c.hflip = true;
        flow::FlowUnetConfig unet;
        unet.dropout = 0.0;
        c.flow.network = unet;
        c.flow.sigma = 1e-4;
        c.flow.imageSize = 32;
        c.batchSize = 128;
        c.gradAccum = 2;
        c.lr.kind = "linear";
        c.lr.lr = 5e-4;
        c.lr.warmupSteps = 45000;
        c.lr.finalFactor = 1e-8 / 5e-4;
        c.adamBeta2 = 0.999;  // torch.optim.Adam's defaults
        c.gradClip = 1.0;
        // AveragedModel's EMA: a copy at the first update, then decay 0.9999 with no warm-up
        // (a vanishing inv_gamma turns ema_pytorch's warm-up off).
        c.ema.beta = 0.9999;
        c.ema.updateEvery = 1;
        c.ema.updateAfterStep = 0;
        c.ema.invGamma = 1e-12;
        c.steps = 400000;
        c.saveEvery = 5000;
        c.sampleEvery = 5000;
        c.sampleSteps = 50;
        return c;
    }
    throw Error("unknown preset '" + name + "' (expected tiny, lsun64, lsun128, cfm-tiny or cfm-seed)");
}

}  // namespace ds::train
