// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's SchrodingerBridgeConditionalFlowMatcher (SB-CFM): pairs drawn from the entropic
// OT plan (Sinkhorn, regularisation 2 sigma^2), then a Brownian bridge between them:
// x_t = t x1 + (1 - t) x0 + sigma sqrt(t (1 - t)) eps,
// u_t = (1 - 2t) / (2 t (1 - t) + 1e-8) (x_t - mu_t) + x1 - x0.
#pragma once
#include "core/flow/probability_path.h"

namespace ds::flow {

class SchrodingerBridgeCfmPath : public ProbabilityPath {
public:
    explicit SchrodingerBridgeCfmPath(double sigma);
    std::string name() const override { return "sbcfm"; }
    PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                 const torch::Tensor& eps) const override;
    Coupling pairing(const torch::Tensor& x0, const torch::Tensor& x1, at::Generator& gen) const override;

private:
    double sigma_;
};

}  // namespace ds::flow
