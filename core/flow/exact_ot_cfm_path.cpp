// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/exact_ot_cfm_path.h"

#include "core/flow/transport_plan.h"

namespace ds::flow {

Coupling ExactOtCfmPath::pairing(const torch::Tensor& x0, const torch::Tensor& x1, at::Generator& gen) const {
    return samplePairIndices(exactTransportPlan(squaredDistances(x0, x1)), x0.size(0), gen);
}

}  // namespace ds::flow
