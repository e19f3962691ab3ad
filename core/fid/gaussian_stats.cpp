// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/gaussian_stats.h"

#include "core/util/error.h"

namespace ds::fid {

GaussianStats GaussianStats::fromFeatures(const torch::Tensor& features) {
    if (features.dim() != 2) throw Error("features must be a (n, d) matrix");
    const int64_t n = features.size(0);
    if (n < 2)
        throw Error("FID needs at least two images per side (the covariance of " + std::to_string(n) +
                    " image is undefined)");
    const auto x = features.to(torch::kDouble);
    GaussianStats stats;
    stats.mu = x.mean(0);
    const auto centered = x - stats.mu;
    stats.sigma = centered.t().matmul(centered).div_(double(n - 1));
    stats.count = n;
    return stats;
}

}  // namespace ds::fid
