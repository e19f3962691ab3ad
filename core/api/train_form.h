// SPDX-License-Identifier: GPL-3.0-or-later
// What the Train page's form can say about a run, and nothing of how core spells a run's
// configuration: the configuration the form started from (a preset's, an opened run's, the last
// session's) travels as the JSON a run's config.json holds, and the fields the form shows are
// plain values. Core applies the fields to that base and validates the result.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/api/model_choices.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct TrainForm {
    // The whole run configuration the fields are applied to (config.json's spelling): what the
    // form does not show (gradient accumulation, precision, the diffusion's objective...) is kept.
    nlohmann::json base;

    // Shown, not edited: the base decides them.
    ModelFamily family = ModelFamily::Diffusion;
    int64_t timesteps = 1000;  // diffusion's T (the loss-by-timestep chart's buckets)

    std::string preset;    // the preset the base came from ("" for a configuration of one's own)
    std::string data;      // fashion-mnist, a folder of images or an LMDB folder
    std::string flowPath;  // flows: the probability path (ot, icfm, otcfm, sbcfm, vp, target)
    int imageSize = 32;
    int channels = 1;
    int width = 16;           // the network's base width (dim, ch, model_channels)
    std::vector<int> stages;  // its stage multipliers (dim_mults, ch_mul, channel_mult)
    int64_t steps = 1;
    int batchSize = 1;
    int processes = 1;  // data-parallel processes (world size)
    double lr = 1e-4;
    std::string lrSchedule;  // constant | linear | cosine
    int64_t warmupSteps = 0;
    double emaDecay = 0.995;
    int64_t sampleEvery = 0;  // preview grid interval (0: none)
    int sampleCount = 16;
    DiffusionSampler sampleSampler = DiffusionSampler::DpmSolverPlusPlus;  // diffusion previews
    int sampleSteps = 20;
    int64_t saveEvery = 1000;
    uint64_t seed = 0;
    int64_t fidEvery = 0;  // FID during training (0: off)
    int fidSamples = 1000;
    std::string fidReference;
    std::string fidFeatures;
    bool fidKid = false;  // also KID
    // Class-conditional (either family): labels from the data, classifier-free guidance.
    bool conditional = false;
    double condDropProb = 0.5;
    std::vector<std::string> classNames;  // settled from the data when the run starts (read-only here)

    bool isFlow() const { return family == ModelFamily::Flow; }
};

// A preset's form (throws ds::Error for an unknown preset).
TrainForm trainFormForPreset(const std::string& preset);
// The form of a run configuration (config.json of a run, saved settings). Throws ds::Error
// naming the problem.
TrainForm trainFormFromConfig(const nlohmann::json& config);
// The fields applied to the base, validated: the form of the run that would start, its base the
// complete configuration. Throws ds::Error naming the problem ("image size 30 is not a multiple
// of 4 ...").
TrainForm resolveTrainForm(const TrainForm& form);

}  // namespace ds::api
