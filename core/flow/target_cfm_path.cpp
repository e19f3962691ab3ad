// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/target_cfm_path.h"

namespace ds::flow {

PathPoint TargetCfmPath::at(const torch::Tensor& /*x0*/, const torch::Tensor& x1, const torch::Tensor& t,
                            const torch::Tensor& eps) const {
    const auto tt = expand(t, x1);
    const auto sigmaT = 1 - (1 - sigma_) * tt;
    const auto xt = tt * x1 + sigmaT * eps;
    return {xt, (x1 - (1 - sigma_) * xt) / sigmaT};
}

}  // namespace ds::flow
