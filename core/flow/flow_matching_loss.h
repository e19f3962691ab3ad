// SPDX-License-Identifier: GPL-3.0-or-later
// The flow-matching objective: the mean squared error between the network's velocity at
// (x_t, t) and the path's target u_t (torch.nn.MSELoss over every element, as g4vrel/CFM and
// torchcfm compute it).
#pragma once
#include "core/flow/probability_path.h"

#include <torch/torch.h>

#include <functional>

namespace ds::flow {

using VelocityModel = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t)>;

struct FlowLossTerms {
    torch::Tensor xt, target, prediction, loss;
};

// With every random input given: the parity form.
FlowLossTerms flowMatchingLoss(const VelocityModel& model, const ProbabilityPath& path, const torch::Tensor& x0,
                               const torch::Tensor& x1, const torch::Tensor& t, const torch::Tensor& eps);

// A training step's loss for a batch of data x1: x0 ~ N(0, I), t ~ U[0, 1), eps ~ N(0, I),
// the batch coupled by the path first.
torch::Tensor flowMatchingLoss(const VelocityModel& model, const ProbabilityPath& path, const torch::Tensor& x1,
                               at::Generator& gen);

}  // namespace ds::flow
