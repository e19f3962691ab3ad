// The model every benchmark measures, as the reference figures do: lucidrains'
// Unet(dim=32, dim_mults=(1,2,4), channels=1) in a GaussianDiffusion at 32x32, seeded weights.
#pragma once
#include "core/diffusion/gaussian_diffusion.h"
#include "core/flow/flow_unet.h"

namespace ds::jobs {

constexpr const char* kBenchModelName = "Unet(dim=32, dim_mults=(1,2,4), channels=1)";

diffusion::GaussianDiffusion makeBenchModel(int timesteps, const torch::Device& device);

// The flow benchmarks' model: the seed's U-Net at a width comparable to the torchcfm
// UNetModel(num_channels=32) of the reference figures, seeded weights, RGB 32x32.
constexpr const char* kFlowBenchModelName =
    "FlowUnet(ch=32, ch_mul=(1,2,2), att_channels=(0,1,0), groups=32, dropout=0), 3x32x32";

flow::FlowUnet makeFlowBenchModel(const torch::Device& device);

}  // namespace ds::jobs
