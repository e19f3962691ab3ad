// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D distributions of torchcfm's examples: 8 Gaussians (centres on a circle of radius 5,
// covariance sqrt(0.1) I, as its eight_normal_sample(scale=5, var=0.1) builds them), two moons
// (sklearn's make_moons geometry with noise 0.2, scaled by 3 and shifted by -1, as its
// sample_moons does) and the standard Gaussian.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::flow {

// (n, 2) float samples of "8gaussians" | "moons" | "gaussian"; throws ds::Error for others.
torch::Tensor sampleToyDistribution(const std::string& name, int64_t n, at::Generator& gen);
std::vector<std::string> toyDistributionNames();

}  // namespace ds::flow
