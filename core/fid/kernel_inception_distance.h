// SPDX-License-Identifier: GPL-3.0-or-later
// KID (Bińkowski et al. 2018) as torch-fidelity computes it: the unbiased MMD^2 with the
// polynomial kernel k(x, y) = (gamma x.y + coef0)^degree, averaged over random subsets drawn by
// numpy's RandomState(seed) (torch-fidelity's defaults: 100 subsets of 1000, degree 3,
// gamma 1/d, coef0 1, seed 2020). The subset size is capped at the smaller feature count.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::fid {

struct KidOptions {
    int subsets = 100;
    int64_t subsetSize = 1000;
    int degree = 3;
    double gamma = 0.0;  // 0: 1 / feature dimension
    double coef0 = 1.0;
    uint32_t seed = 2020;
};

struct KidResult {
    double mean = 0.0;
    double std = 0.0;        // population std over subsets (numpy's np.std)
    int64_t subsetSize = 0;  // after capping
    std::vector<std::string> warnings;
};

// features: (n1, d) and (n2, d), products in float32, kernel sums in double. Throws ds::Error for fewer than two
// features on a side or different dimensions.
KidResult kernelInceptionDistance(const torch::Tensor& features1, const torch::Tensor& features2,
                                  const KidOptions& options = {});

// The unbiased MMD^2 of two equal-size samples (torch-fidelity's mmd2).
double polynomialMmd2(const torch::Tensor& x, const torch::Tensor& y, int degree, double gamma, double coef0);

}  // namespace ds::fid
