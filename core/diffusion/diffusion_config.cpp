// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/diffusion_config.h"

#include "core/util/error.h"

namespace ds::diffusion {

void DiffusionConfig::validate() const {
    if (imageSize <= 0) throw Error("image size must be positive");
    if (timesteps < 1) throw Error("timesteps must be at least 1");
    if (effectiveSamplingTimesteps() > timesteps)
        throw Error("sampling timesteps (" + std::to_string(samplingTimesteps) + ") exceed timesteps (" +
                    std::to_string(timesteps) + ")");
    if (objective != "pred_noise" && objective != "pred_x0" && objective != "pred_v")
        throw Error("unknown objective '" + objective + "' (expected pred_noise, pred_x0 or pred_v)");
    if (betaSchedule != "linear" && betaSchedule != "cosine" && betaSchedule != "sigmoid" && betaSchedule != "custom")
        throw Error("unknown beta schedule '" + betaSchedule + "' (expected linear, cosine or sigmoid)");
}

nlohmann::json DiffusionConfig::toJson() const {
    return {{"image_size", imageSize},
            {"timesteps", timesteps},
            {"sampling_timesteps", effectiveSamplingTimesteps()},
            {"objective", objective},
            {"beta_schedule", betaSchedule},
            {"ddim_sampling_eta", ddimSamplingEta},
            {"auto_normalize", autoNormalize},
            {"offset_noise_strength", offsetNoiseStrength},
            {"min_snr_loss_weight", minSnrLossWeight},
            {"min_snr_gamma", minSnrGamma}};
}

DiffusionConfig DiffusionConfig::fromJson(const nlohmann::json& j) {
    DiffusionConfig c;
    c.imageSize = j.value("image_size", c.imageSize);
    c.timesteps = j.value("timesteps", c.timesteps);
    if (j.contains("sampling_timesteps") && j["sampling_timesteps"].is_number())
        c.samplingTimesteps = j["sampling_timesteps"].get<int>();
    c.objective = j.value("objective", c.objective);
    c.betaSchedule = j.value("beta_schedule", c.betaSchedule);
    c.ddimSamplingEta = j.value("ddim_sampling_eta", c.ddimSamplingEta);
    c.autoNormalize = j.value("auto_normalize", c.autoNormalize);
    c.offsetNoiseStrength = j.value("offset_noise_strength", c.offsetNoiseStrength);
    c.minSnrLossWeight = j.value("min_snr_loss_weight", c.minSnrLossWeight);
    c.minSnrGamma = j.value("min_snr_gamma", c.minSnrGamma);
    return c;
}

}  // namespace ds::diffusion
