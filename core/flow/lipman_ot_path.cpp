// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/lipman_ot_path.h"

namespace ds::flow {

PathPoint LipmanOtPath::at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                           const torch::Tensor& /*eps: the noise is x0 itself*/) const {
    const auto tt = expand(t, x0);
    return {(1 - (1 - sigmaMin_) * tt) * x0 + tt * x1, x1 - (1 - sigmaMin_) * x0};
}

}  // namespace ds::flow
