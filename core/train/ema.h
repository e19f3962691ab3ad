// SPDX-License-Identifier: GPL-3.0-or-later
// Exponential moving average of a model's weights with ema_pytorch's semantics (what
// lucidrains' Trainer uses): a step counter, update_every, update_after_step (before it the EMA
// copies the model), and the warm-up decay 1 - (1 + epoch / inv_gamma)^-power, capped at beta.
#pragma once
#include "core/checkpoint/state_dict.h"
#include "core/train/ema_config.h"

#include <torch/torch.h>

namespace ds::train {

class Ema {
public:
    // `online` is the trained model; `shadow` a structurally identical copy that holds the average.
    Ema(std::shared_ptr<torch::nn::Module> online, std::shared_ptr<torch::nn::Module> shadow, EmaConfig config);

    void update();  // call once per optimizer step
    double currentDecay() const;
    int64_t step() const { return step_; }
    bool initted() const { return initted_; }
    torch::nn::Module& shadow() { return *shadow_; }

    // ema_pytorch's state_dict: initted, step, online_model.*, ema_model.* (torch.load-able).
    io::PyValuePtr stateDict() const;
    void loadStateDict(const io::PyValue& dict);
    // The same from parts: the shadow's weights (its own names), the step counter and initted.
    void load(const checkpoint::StateDict& shadowWeights, int64_t step, bool initted);

private:
    void copyFromOnline();
    void lerpTowardsOnline(double decay);

    std::shared_ptr<torch::nn::Module> online_;
    std::shared_ptr<torch::nn::Module> shadow_;
    EmaConfig config_;
    int64_t step_ = 0;
    bool initted_ = false;
};

}  // namespace ds::train
