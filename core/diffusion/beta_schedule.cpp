// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/beta_schedule.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::diffusion {

namespace {

const auto kDouble = torch::TensorOptions().dtype(torch::kFloat64);

// betas from a cumulative-alpha curve sampled at timesteps + 1 points, clipped like upstream.
torch::Tensor betasFromAlphasCumprod(torch::Tensor alphasCumprod) {
    alphasCumprod = alphasCumprod / alphasCumprod[0];
    auto betas = 1 - (alphasCumprod.slice(0, 1) / alphasCumprod.slice(0, 0, -1));
    return betas.clamp(0, 0.999);
}

torch::Tensor unitGrid(int64_t timesteps) {
    return torch::linspace(0, static_cast<double>(timesteps), timesteps + 1, kDouble) / static_cast<double>(timesteps);
}

}  // namespace

torch::Tensor linearBetaSchedule(int64_t timesteps) {
    const double scale = 1000.0 / static_cast<double>(timesteps);
    return torch::linspace(scale * 0.0001, scale * 0.02, timesteps, kDouble);
}

torch::Tensor cosineBetaSchedule(int64_t timesteps, double s) {
    auto t = unitGrid(timesteps);
    auto alphasCumprod = torch::cos((t + s) / (1 + s) * M_PI * 0.5).pow(2);
    return betasFromAlphasCumprod(alphasCumprod);
}

torch::Tensor sigmoidBetaSchedule(int64_t timesteps, double start, double end, double tau) {
    auto t = unitGrid(timesteps);
    // Upstream builds these with torch.tensor(start / tau).sigmoid(): float32 values.
    const double vStart = torch::tensor(static_cast<float>(start / tau)).sigmoid().item<double>();
    const double vEnd = torch::tensor(static_cast<float>(end / tau)).sigmoid().item<double>();
    auto alphasCumprod = (-torch::sigmoid((t * (end - start) + start) / tau) + vEnd) / (vEnd - vStart);
    return betasFromAlphasCumprod(alphasCumprod);
}

torch::Tensor betaSchedule(const std::string& name, int64_t timesteps) {
    if (timesteps < 1) throw Error("timesteps must be at least 1");
    if (name == "linear") return linearBetaSchedule(timesteps);
    if (name == "cosine") return cosineBetaSchedule(timesteps);
    if (name == "sigmoid") return sigmoidBetaSchedule(timesteps);
    throw Error("unknown beta schedule '" + name + "' (expected linear, cosine or sigmoid)");
}

}  // namespace ds::diffusion
