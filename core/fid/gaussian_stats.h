// SPDX-License-Identifier: GPL-3.0-or-later
// The statistics FID compares: mean and unbiased covariance of the features (numpy's mean and
// np.cov(rowvar=False), which pytorch-fid calls), in double.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace ds::fid {

struct GaussianStats {
    torch::Tensor mu;     // (d) double
    torch::Tensor sigma;  // (d, d) double
    int64_t count = 0;    // images behind them; 0 when unknown (read from a file)

    int64_t dims() const { return mu.defined() ? mu.size(0) : 0; }

    // features: (n, d), any floating type. Throws ds::Error when n < 2 (no covariance).
    static GaussianStats fromFeatures(const torch::Tensor& features);
};

}  // namespace ds::fid
