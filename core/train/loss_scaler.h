// SPDX-License-Identifier: GPL-3.0-or-later
// Dynamic loss scaling for float16 training, with torch.cuda.amp.GradScaler's rule and defaults:
// the loss is multiplied by `scale` before backward so that small float16 gradients do not
// flush to zero; the gradients are divided by it before the optimizer step. A step whose
// gradients hold inf or NaN is skipped and the scale halves; after `growthInterval` good steps
// in a row it doubles. In a data-parallel run every rank sees the same averaged gradients and
// so takes the same decision.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ds::train {

class LossScaler {
public:
    LossScaler() = default;

    torch::Tensor scale(const torch::Tensor& loss) const { return loss * scale_; }
    // Divides the gradients by the scale; false when one of them is not finite (skip the step).
    bool unscale(const std::vector<torch::Tensor>& parameters) const;
    // After each step: back off on a skipped step, grow after enough good ones.
    void update(bool stepTaken);

    double currentScale() const { return scale_; }
    int64_t growthTracker() const { return growthTracker_; }
    void restore(double scale, int64_t growthTracker);

private:
    double scale_ = 65536.0;  // 2^16
    double growthFactor_ = 2.0;
    double backoffFactor_ = 0.5;
    int64_t growthInterval_ = 2000;
    int64_t growthTracker_ = 0;
};

}  // namespace ds::train
