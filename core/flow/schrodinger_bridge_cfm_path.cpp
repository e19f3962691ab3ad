// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/schrodinger_bridge_cfm_path.h"

#include "core/flow/transport_plan.h"
#include "core/util/error.h"

namespace ds::flow {

SchrodingerBridgeCfmPath::SchrodingerBridgeCfmPath(double sigma) : sigma_(sigma) {
    if (!(sigma > 0)) throw Error("SB-CFM needs sigma > 0 (its entropic regularisation is 2 sigma^2)");
}

PathPoint SchrodingerBridgeCfmPath::at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                                       const torch::Tensor& eps) const {
    const auto tt = expand(t, x0);
    const auto mu = tt * x1 + (1 - tt) * x0;
    const auto xt = mu + sigma_ * torch::sqrt(tt * (1 - tt)) * eps;
    const auto ut = (1 - 2 * tt) / (2 * tt * (1 - tt) + 1e-8) * (xt - mu) + x1 - x0;
    return {xt, ut};
}

Coupling SchrodingerBridgeCfmPath::pairing(const torch::Tensor& x0, const torch::Tensor& x1, at::Generator& gen) const {
    return samplePairIndices(entropicTransportPlan(squaredDistances(x0, x1), 2 * sigma_ * sigma_), x0.size(0), gen);
}

}  // namespace ds::flow
