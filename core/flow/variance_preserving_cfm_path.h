// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's VariancePreservingConditionalFlowMatcher: a trigonometric interpolant,
// x_t = cos(pi t / 2) x0 + sin(pi t / 2) x1 + sigma eps,
// u_t = pi / 2 (cos(pi t / 2) x1 - sin(pi t / 2) x0).
#pragma once
#include "core/flow/probability_path.h"

namespace ds::flow {

class VariancePreservingCfmPath : public ProbabilityPath {
public:
    explicit VariancePreservingCfmPath(double sigma) : sigma_(sigma) {}
    std::string name() const override { return "vp"; }
    PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                 const torch::Tensor& eps) const override;

private:
    double sigma_;
};

}  // namespace ds::flow
