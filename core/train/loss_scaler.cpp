// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/loss_scaler.h"

#include "core/util/error.h"

namespace ds::train {

bool LossScaler::unscale(const std::vector<torch::Tensor>& parameters) const {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> finite;
    for (const auto& p : parameters) {
        if (!p.grad().defined()) continue;
        auto grad = p.mutable_grad();
        grad.mul_(1.0 / scale_);
        finite.push_back(torch::isfinite(grad).all());
    }
    // One host synchronisation for all parameters.
    return finite.empty() || torch::stack(finite).all().item<bool>();
}

void LossScaler::update(bool stepTaken) {
    if (!stepTaken) {
        scale_ *= backoffFactor_;
        growthTracker_ = 0;
        return;
    }
    if (++growthTracker_ >= growthInterval_) {
        scale_ *= growthFactor_;
        growthTracker_ = 0;
    }
}

void LossScaler::restore(double scale, int64_t growthTracker) {
    if (!(scale > 0)) throw Error("a loss scale must be positive, got " + std::to_string(scale));
    scale_ = scale;
    growthTracker_ = growthTracker;
}

}  // namespace ds::train
