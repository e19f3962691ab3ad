// SPDX-License-Identifier: GPL-3.0-or-later
// Constructor options of lucidrains' GaussianDiffusion (2.x), same defaults.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace ds::diffusion {

struct DiffusionConfig {
    int imageSize = 32;
    int timesteps = 1000;
    int samplingTimesteps = 0;             // 0: timesteps (then DDPM is the default sampler)
    std::string objective = "pred_v";      // pred_noise | pred_x0 | pred_v
    std::string betaSchedule = "sigmoid";  // linear | cosine | sigmoid
    double ddimSamplingEta = 0.0;
    bool autoNormalize = true;
    double offsetNoiseStrength = 0.0;
    bool minSnrLossWeight = false;
    double minSnrGamma = 5.0;

    int effectiveSamplingTimesteps() const { return samplingTimesteps > 0 ? samplingTimesteps : timesteps; }
    void validate() const;  // throws ds::Error

    nlohmann::json toJson() const;  // upstream argument names
    static DiffusionConfig fromJson(const nlohmann::json& j);
};

}  // namespace ds::diffusion
