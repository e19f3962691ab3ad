// SPDX-License-Identifier: GPL-3.0-or-later
// Flow Matching's conditional optimal-transport path (Lipman et al. 2023, with sigma_min), as
// g4vrel/CFM's OptimalTransportFlow computes it: x_t = (1 - (1 - sigma_min) t) x0 + t x1,
// u_t = x1 - (1 - sigma_min) x0, x0 the noise.
#pragma once
#include "core/flow/probability_path.h"

namespace ds::flow {

class LipmanOtPath : public ProbabilityPath {
public:
    explicit LipmanOtPath(double sigmaMin) : sigmaMin_(sigmaMin) {}
    std::string name() const override { return "ot"; }
    PathPoint at(const torch::Tensor& x0, const torch::Tensor& x1, const torch::Tensor& t,
                 const torch::Tensor& eps) const override;

private:
    double sigmaMin_;
};

}  // namespace ds::flow
