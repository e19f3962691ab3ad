// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's TargetConditionalFlowMatcher (Lipman et al. 2023): the Gaussian path towards x1,
// x_t = t x1 + (1 - (1 - sigma) t) eps (x0 unused: the noise is eps),
// u_t = (x1 - (1 - sigma) x_t) / (1 - (1 - sigma) t). With eps = x0 it is g4vrel/CFM's "ot" path.
#pragma once
#include "core/flow/probability_path.h"

namespace ds::flow {

class TargetCfmPath : public ProbabilityPath {
public:
    explicit TargetCfmPath(double sigma) : sigma_(sigma) {}
    std::string name() const override { return "target"; }
    PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                 const torch::Tensor& eps) const override;

private:
    double sigma_;
};

}  // namespace ds::flow
