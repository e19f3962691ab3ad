// SPDX-License-Identifier: GPL-3.0-or-later
// Opening diffusion checkpoints: lucidrains Trainer files (`model-N.pt`: {step, model, opt, ema,
// scaler, version}) and ours (the same layout plus `config`), a bare GaussianDiffusion
// state_dict, and for the class-conditional Unet of classifier_free_guidance.py a bare
// Unet state_dict too (how that file's users save: it has no Trainer). The architecture is read
// from the tensor shapes, the schedule from the stored buffers, the objective from `loss_weight`.
#pragma once
#include "core/api/model_choices.h"
#include "core/checkpoint/state_dict.h"
#include "core/diffusion/diffusion_config.h"
#include "core/diffusion/gaussian_diffusion.h"
#include "core/io/py_value.h"
#include "core/nn/cfg_unet.h"
#include "core/nn/unet_config.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ds::checkpoint {

struct DiffusionCheckpoint {
    // Who wrote the file: lucidrains' Trainer or a bare state_dict, or our trainer.
    enum class Format { Lucidrains, DiffusionStudio };
    static const char* formatName(Format f);  // `info`'s "format": "lucidrains" | "diffusion-studio"

    std::string path;
    Format format = Format::Lucidrains;
    std::string version;                       // the file's `version` entry ("" when absent)
    int64_t step = -1;                         // -1 when absent
    StateDict online;                          // GaussianDiffusion keys: the 13 buffers and model.*
    StateDict ema;                             // the same keys, from ema_model.* (empty when absent)
    nn::UnetConfig unet;                       // the main Unet (unconditional models)
    std::optional<nn::CfgUnetConfig> cfgUnet;  // the class-conditional Unet, when it is one
    std::vector<std::string> classNames;       // recorded by our runs (empty: class numbers)
    diffusion::DiffusionConfig diffusion;
    // false for a bare Unet state_dict: no schedule buffers, lucidrains' defaults are assumed
    // (1000 steps, cosine, pred_noise) unless the user gives them.
    bool scheduleKnown = true;
    bool imageSizeKnown = false;  // lucidrains files do not record it
    nlohmann::json runConfig;     // our `config` entry (null for lucidrains files)

    bool hasEma() const { return !ema.empty(); }
    bool isConditional() const { return cfgUnet.has_value(); }
    int numClasses() const { return cfgUnet ? cfgUnet->numClasses : 0; }
    std::string architectureSummary() const;
    int64_t parameterCount() const;  // Unet parameters
};

// Reads and identifies a checkpoint. Throws ds::Error "path: problem" for files that are not
// diffusion checkpoints, truncated files, 1.x-era layouts and flow-matching checkpoints (those
// open with readFlowCheckpoint; sampling and `info` choose the reader from the file).
DiffusionCheckpoint readDiffusionCheckpoint(const std::string& path);
// The same for a file already read (`root`: what loadTorchFile returned).
DiffusionCheckpoint readDiffusionCheckpoint(const std::string& path, const io::PyValue& root);

struct ModelBuildOptions {
    api::Weights weights = api::Weights::Ema;
    int imageSize = 0;      // 0: from the checkpoint (an error when it is unknown)
    std::string objective;  // "": inferred
    torch::Device device = torch::kCPU;
    // The class-conditional Unet's middle attention, which its shapes cannot split into heads
    // (0: upstream's 4 x 32 where the width allows).
    int heads = 0;
    int headChannels = 0;
};

// A GaussianDiffusion with the chosen weights loaded, in eval mode, on the chosen device.
diffusion::GaussianDiffusion buildDiffusionModel(const DiffusionCheckpoint& ckpt, const ModelBuildOptions& options);

// Which objective a loss_weight buffer was made for (and whether min-SNR clipping was on);
// returns false when it matches none.
bool inferObjective(const torch::Tensor& alphasCumprod, const torch::Tensor& lossWeight, std::string& objective,
                    bool& minSnr, double& gamma);
// "linear" | "cosine" | "sigmoid" | "custom" for a betas buffer.
std::string inferBetaSchedule(const torch::Tensor& betas);

}  // namespace ds::checkpoint
