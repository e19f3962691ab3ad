// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D distributions of torchcfm's examples: 8 Gaussians (centres on a circle of radius 5,
// covariance sqrt(0.1) I, as its eight_normal_sample(scale=5, var=0.1) builds them), two moons
// (sklearn's make_moons geometry with noise 0.2, scaled by 3 and shifted by -1, as its
// sample_moons does) and the standard Gaussian. The 8 Gaussians also come labelled: a point's
// class is the index of the Gaussian it was drawn from, for class-conditional flows.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::flow {

// (n, 2) float samples of "8gaussians" | "moons" | "gaussian"; throws ds::Error for others.
torch::Tensor sampleToyDistribution(const std::string& name, int64_t n, at::Generator& gen);
std::vector<std::string> toyDistributionNames();

// How many classes the distribution's labelled form has: 8 for "8gaussians", 0 for the others
// (no labelled form); throws ds::Error for unknown names.
int64_t toyDistributionClasses(const std::string& name);

struct LabelledPoints {
    torch::Tensor points;  // (n, 2) float
    torch::Tensor labels;  // (n) int64, 0 .. classes - 1
};

// Samples with their classes: the same points as sampleToyDistribution with the same generator
// state (and the generator left in the same state). Throws ds::Error for a distribution without
// classes.
LabelledPoints sampleLabelledToyDistribution(const std::string& name, int64_t n, at::Generator& gen);

// One point of the given class per label (labels: (n) int64): the class-conditional target, for
// measuring how well a guided sample hits the classes it was asked for.
torch::Tensor sampleToyClasses(const std::string& name, const torch::Tensor& labels, at::Generator& gen);

// The 8 Gaussians' centres, (8, 2) float: row k is class k's.
torch::Tensor eightGaussianCentres();

}  // namespace ds::flow
