// SPDX-License-Identifier: GPL-3.0-or-later
// Everything needed to rebuild a training run's model, data and optimiser: written to the run
// directory's config.json and into every checkpoint. Presets give sensible starting points.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/api/model_choices.h"
#include "core/diffusion/diffusion_config.h"
#include "core/nn/unet_config.h"
#include "core/train/ema_config.h"
#include "core/train/flow_train_config.h"
#include "core/train/lr_schedule.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::nn {
struct CfgUnetConfig;  // core/nn/cfg_unet.h
}

namespace ds::train {

struct TrainConfig {
    static constexpr int kFormatVersion = 1;

    std::string preset;                  // the preset it started from ("" for none)
    std::string data = "fashion-mnist";  // fashion-mnist | a folder of images | an LMDB folder (data.mdb)
    bool hflip = false;
    int loaderThreads = 2;

    api::ModelFamily family = api::ModelFamily::Diffusion;  // flow matching: see FlowTrainConfig's backbone
    nn::UnetConfig unet;                                    // diffusion
    diffusion::DiffusionConfig diffusion;
    FlowTrainConfig flow;  // flow

    bool isFlow() const { return family == api::ModelFamily::Flow; }
    int imageSize() const { return isFlow() ? flow.imageSize : diffusion.imageSize; }
    int channels() const { return isFlow() ? flow.network.channels() : unet.channels; }

    int batchSize = 32;  // per process and accumulation step
    int gradAccum = 1;
    // Processes of a data-parallel run; its global batch is batchSize * gradAccum * worldSize.
    // A run resumes only with the same count (another would change the batches it sees).
    int worldSize = 1;
    int64_t globalBatchSize() const { return int64_t(batchSize) * gradAccum * worldSize; }
    // Mixed precision: bf16 autocasts to bfloat16 (CPUs and GPUs), fp16 to float16 (CUDA) with
    // dynamic loss scaling, as torch.cuda.amp's GradScaler. Weights, Adam and the EMA stay float32.
    api::MixedPrecision amp = api::MixedPrecision::Off;
    bool channelsLast = false;  // channels-last activations and convolution weights
    LrSchedule lr;
    double adamBeta1 = 0.9;
    double adamBeta2 = 0.99;
    double adamEps = 1e-8;
    double gradClip = 1.0;  // 0: off
    EmaConfig ema;

    int64_t steps = 2000;
    int64_t logEvery = 10;
    int64_t saveEvery = 500;
    int64_t sampleEvery = 500;  // 0: no preview grids
    int sampleCount = 16;
    int sampleSteps = 20;  // the preview sampler's steps (flows: the ODE solver's, flow.previewSolver)
    // Diffusion previews: a fast ODE solver by default (DPM-Solver++ 2M: seconds where DDIM-250
    // took minutes); runs written before it was recorded previewed with DDIM.
    api::DiffusionSampler sampleSampler = api::DiffusionSampler::DpmSolverPlusPlus;
    int keepLast = 3;

    // FID during training: every fidEvery steps (0: never) the EMA weights sample fidSamples
    // images with the preview sampler and steps, always from the same noise; their FID (or a
    // feature classifier's Fréchet distance) against fidReference goes to metrics.jsonl, and
    // checkpoints/best.pt keeps the weights of the lowest.
    struct FidEvaluation {
        int64_t every = 0;
        // Also (or instead) every this many seconds of training, evaluations and previews not
        // counted: the time-to-quality benchmark's schedule (`bench quality`). One process only.
        double everySeconds = 0.0;
        int samples = 1000;
        std::string reference;  // a folder, an .npz of statistics or a built-in set (fashion-mnist-test)
        std::string features;   // "" or inception (pytorch-fid's), fashion-mnist, or a classifier file
        int dims = 0;           // Inception's block (0: 2048)
        int batchSize = 100;    // images sampled at once
        bool kid = false;       // also KID (torch-fidelity's) against the reference's images
        bool enabled() const { return every > 0 || everySeconds > 0.0; }
    } fid;

    // > 0: the run ends after this many seconds of training (evaluations and previews not
    // counted) or at `steps`, whichever comes first; a timed FID is measured at the end. One
    // process only (the ranks' clocks differ).
    double maxSeconds = 0.0;
    // Class-conditional training. Diffusion: lucidrains' classifier_free_guidance.py Unet
    // (nn::CfgUnet: the unet's dim, dim_mults and channels, its own attention defaults) under
    // GaussianDiffusion. Flows: the backbone with a class embedding of K + 1 rows (label_emb;
    // row K is the null class). Either way each label is replaced by the null class with
    // probability dropProb so that classifier-free guidance works. The labels come from the
    // data: Fashion-MNIST's, the class sub-folders of an image folder (sorted names, as
    // torchvision's ImageFolder), or several LMDBs given together (one class each).
    struct Conditioning {
        bool enabled = false;
        double dropProb = 0.5;                // cond_drop_prob
        std::vector<std::string> classNames;  // label order; settled from the data when the run is made
        double previewScale = 6.0;            // guidance of previews and FIDs (lucidrains' sample() default)
        double previewRescaledPhi = 0.7;      // diffusion only
    } conditioning;
    bool isConditional() const { return conditioning.enabled; }
    // Class-conditional with the family's defaults: diffusion as classifier_free_guidance.py's
    // GaussianDiffusion (pred_noise, cosine schedule; previews at W = 6, phi 0.7), flows with
    // previews at W = 2 (v = v_null + W (v_y - v_null)).
    void makeConditional();
    // The classes, in label order; a flow's network gets their class embedding (K + 1 rows).
    void setClassNames(const std::vector<std::string>& names);
    // The conditional network (conditioning.enabled).
    nn::CfgUnetConfig cfgUnet() const;

    uint64_t seed = 0;
    std::string device = "auto";

    void validate() const;  // throws ds::Error naming the bad option
    nlohmann::json toJson() const;
    // Throws ds::Error for a config of another format version.
    static TrainConfig fromJson(const nlohmann::json& j);
    // tiny | lsun64 | lsun128 (diffusion), cfm-tiny | cfm-seed (flow); throws ds::Error for others.
    static TrainConfig fromPreset(const std::string& name);
};

// The command line's and config.json's names (throw ds::Error "unknown model family 'x' (expected
// diffusion or flow)", "unknown mixed precision ...").
api::ModelFamily parseModelFamily(const std::string& name);
api::MixedPrecision parseMixedPrecision(const std::string& name);

}  // namespace ds::train
