// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/independent_cfm_path.h"

namespace ds::flow {

PathPoint IndependentCfmPath::at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                                 const torch::Tensor& eps) const {
    const auto tt = expand(t, x0);
    auto xt = tt * x1 + (1 - tt) * x0;
    if (sigma_ != 0.0) xt = xt + sigma_ * eps;
    return {xt, x1 - x0};
}

}  // namespace ds::flow
