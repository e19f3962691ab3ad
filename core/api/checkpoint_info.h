// SPDX-License-Identifier: GPL-3.0-or-later
// What a checkpoint holds, for `diffusion-studio-cli info` and the app's open dialogs.
#pragma once
#include "core/api/model_choices.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct CheckpointInfo {
    std::string path;
    ModelFamily family = ModelFamily::Diffusion;  // flow matching: sample with --solver
    // "lucidrains GaussianDiffusion" | "Diffusion Studio GaussianDiffusion" | "g4vrel/CFM flow-matching U-Net ..."
    std::string kind;
    std::string version;       // the file's version entry
    std::string architecture;  // Unet(...) summary
    int64_t parameterCount = 0;
    int64_t step = -1;
    std::vector<Weights> weights;         // the weights the file holds
    int imageSize = 0;                    // 0: not recorded
    int timesteps = 0;                    // diffusion only
    std::string objective;                // diffusion only
    std::string betaSchedule;             // diffusion only
    int numClasses = 0;                   // class-conditional models (0: unconditional)
    std::vector<std::string> classNames;  // empty: numbered classes
    std::vector<std::string> notes;       // what a user should know (assumptions made)
    std::string sha256;
    nlohmann::json details;  // everything above plus the configs, as JSON

    std::vector<std::string> weightNames() const;  // "online", "ema"
    std::string toText() const;
    // Flows: what the file does not record and sampling needs from the user ("" when nothing).
    std::string flowNote() const;
};

// Throws ds::Error "path: problem" for files that are not checkpoints we can open.
CheckpointInfo inspectCheckpoint(const std::string& path);

// Only the family, without hashing the file or reading its configuration (what the app needs to
// choose a page). Throws as inspectCheckpoint.
ModelFamily checkpointFamily(const std::string& path);

// The classes a class-conditional checkpoint samples (count 0: an unconditional model), without
// hashing the file (what a page needs to offer a class picker). Throws as inspectCheckpoint.
struct CheckpointClasses {
    int count = 0;
    std::vector<std::string> names;  // empty: numbered classes
    // What classifier-free guidance the model allows: none (torchcfm's conditional UNetModel
    // learns no null class: W = 1 only), the flows' v_null + W (v_y - v_null), or lucidrains'
    // forward_with_cond_scale (W, rescaled phi, the parallel component, CFG++).
    enum class Guidance { None, Scale, Lucidrains };
    Guidance guidance = Guidance::None;
};
CheckpointClasses checkpointClasses(const std::string& path);

}  // namespace ds::api
