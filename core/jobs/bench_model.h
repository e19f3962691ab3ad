// SPDX-License-Identifier: GPL-3.0-or-later
// The model every benchmark measures, as the reference figures do: lucidrains'
// Unet(dim=32, dim_mults=(1,2,4), channels=1) in a GaussianDiffusion at 32x32, seeded weights.
#pragma once
#include "core/diffusion/gaussian_diffusion.h"
#include "core/flow/velocity_network.h"

#include <string>
#include <vector>

namespace ds::jobs {

constexpr const char* kBenchModelName = "Unet(dim=32, dim_mults=(1,2,4), channels=1)";

diffusion::GaussianDiffusion makeBenchModel(int timesteps, const torch::Device& device);

// The flow benchmarks' models, seeded weights, in eval mode:
// - torchcfm: torchcfm's UNetModel at 32 channels as its README's MNIST example builds it,
//   UNetModelWrapper(dim=(1, 28, 28), num_channels=32, num_res_blocks=1): channel_mult (1,2,2),
//   attention_resolutions "16" (attention at full resolution), one head - the network of the
//   issue's torchcfm reference figures;
// - cfm: g4vrel/CFM's U-Net at a comparable width, RGB 32x32.
struct FlowBenchModel {
    flow::VelocityNetwork net;
    std::vector<int64_t> imageShape;  // C, H, W
    std::string name;
};

FlowBenchModel makeFlowBenchModel(flow::Backbone backbone, const torch::Device& device);

}  // namespace ds::jobs
