// SPDX-License-Identifier: GPL-3.0-or-later
// Measures of sampled flows: how straight the particles travel, and how close a cloud is to a
// target distribution.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace ds::flow {

// Mean over particles of (length of the polyline through states[0..K-1]) / |states[K-1] -
// states[0]|: 1 for straight paths, larger for curved ones. states: K tensors (N, D).
double straightness(const std::vector<torch::Tensor>& states);

// 2 E|X - Y| - E|X - X'| - E|Y - Y'| for samples x (N, D) and y (M, D) (the V-statistic).
double energyDistance(const torch::Tensor& x, const torch::Tensor& y);

}  // namespace ds::flow
