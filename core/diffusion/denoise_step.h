// SPDX-License-Identifier: GPL-3.0-or-later
// One step of a sampler, as reported to observers (the Sampler Explorer, --save-tensors).
// Tensors are in model space ([-1, 1] with auto-normalisation) and owned by the sampler;
// copy what you keep.
#pragma once
#include <torch/torch.h>

#include <functional>

namespace ds::diffusion {

struct DenoiseStep {
    int index = 0;      // 0-based step number
    int count = 0;      // total number of steps
    int64_t t = 0;      // the timestep the model was evaluated at
    int64_t tNext = 0;  // the timestep of x (-1 after the last step)
    torch::Tensor x;    // the state after this step
    torch::Tensor x0;   // the model's prediction of x0 at this step (clipped to [-1, 1])
};

using DenoiseCallback = std::function<void(const DenoiseStep&)>;

}  // namespace ds::diffusion
