// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' beta schedules, computed in float64 like upstream (the buffers are stored as
// float32 afterwards).
#pragma once
#include <torch/torch.h>

#include <string>

namespace ds::diffusion {

torch::Tensor linearBetaSchedule(int64_t timesteps);
torch::Tensor cosineBetaSchedule(int64_t timesteps, double s = 0.008);
torch::Tensor sigmoidBetaSchedule(int64_t timesteps, double start = -3.0, double end = 3.0, double tau = 1.0);

// "linear" | "cosine" | "sigmoid"; throws ds::Error for other names.
torch::Tensor betaSchedule(const std::string& name, int64_t timesteps);

}  // namespace ds::diffusion
