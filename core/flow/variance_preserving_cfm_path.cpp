// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/variance_preserving_cfm_path.h"

#include <cmath>

namespace ds::flow {

PathPoint VariancePreservingCfmPath::at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                                        const torch::Tensor& eps) const {
    const auto angle = expand(t, x0) * (M_PI / 2);
    const auto c = torch::cos(angle), s = torch::sin(angle);
    auto xt = c * x0 + s * x1;
    if (sigma_ != 0.0) xt = xt + sigma_ * eps;
    return {xt, (M_PI / 2) * (c * x1 - s * x0)};
}

}  // namespace ds::flow
