// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's ExactOptimalTransportConditionalFlowMatcher (OT-CFM): the I-CFM path after the
// minibatch is re-paired by an exact optimal transport plan on the squared Euclidean cost
// (uniform weights), pairs drawn from the plan with replacement as torchcfm's OTPlanSampler does.
#pragma once
#include "core/flow/independent_cfm_path.h"

namespace ds::flow {

class ExactOtCfmPath : public IndependentCfmPath {
public:
    using IndependentCfmPath::IndependentCfmPath;
    std::string name() const override { return "otcfm"; }
    Coupling pairing(const torch::Tensor& x0, const torch::Tensor& x1, at::Generator& gen) const override;
};

}  // namespace ds::flow
