// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's ConditionalFlowMatcher (I-CFM, Tong et al. 2023): x0 and x1 paired independently,
// x_t = t x1 + (1 - t) x0 + sigma eps, u_t = x1 - x0.
#pragma once
#include "core/flow/probability_path.h"

namespace ds::flow {

class IndependentCfmPath : public ProbabilityPath {
public:
    explicit IndependentCfmPath(double sigma) : sigma_(sigma) {}
    std::string name() const override { return "icfm"; }
    PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                 const torch::Tensor& eps) const override;

protected:
    double sigma_;
};

}  // namespace ds::flow
