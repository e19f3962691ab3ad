// The model every benchmark measures, as the reference figures do: lucidrains'
// Unet(dim=32, dim_mults=(1,2,4), channels=1) in a GaussianDiffusion at 32x32, seeded weights.
#pragma once
#include "core/diffusion/gaussian_diffusion.h"

namespace ds::jobs {

constexpr const char* kBenchModelName = "Unet(dim=32, dim_mults=(1,2,4), channels=1)";

diffusion::GaussianDiffusion makeBenchModel(int timesteps, const torch::Device& device);

}  // namespace ds::jobs
