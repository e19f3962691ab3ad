// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/ema.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::train {

namespace {

// Parameters and buffers in matching order (both modules have the same structure).
std::vector<torch::Tensor> tensorsOf(torch::nn::Module& m) {
    std::vector<torch::Tensor> out;
    for (auto& p : m.parameters(true)) out.push_back(p);
    for (auto& b : m.buffers(true)) out.push_back(b);
    return out;
}

}  // namespace

Ema::Ema(std::shared_ptr<torch::nn::Module> online, std::shared_ptr<torch::nn::Module> shadow, EmaConfig config)
    : online_(std::move(online)), shadow_(std::move(shadow)), config_(config) {
    for (auto& p : shadow_->parameters(true)) p.set_requires_grad(false);
    copyFromOnline();
}

double Ema::currentDecay() const {
    const double epoch = std::max(0.0, double(step_ - config_.updateAfterStep - 1));
    if (epoch <= 0) return 0.0;
    const double value = 1.0 - std::pow(1.0 + epoch / config_.invGamma, -config_.power);
    return std::clamp(value, config_.minValue, config_.beta);
}

void Ema::update() {
    ++step_;
    if (step_ % config_.updateEvery != 0) return;
    if (step_ <= config_.updateAfterStep) {
        copyFromOnline();
        return;
    }
    if (!initted_) {
        copyFromOnline();
        initted_ = true;
    }
    lerpTowardsOnline(currentDecay());
}

void Ema::copyFromOnline() {
    torch::NoGradGuard noGrad;
    auto src = tensorsOf(*online_), dst = tensorsOf(*shadow_);
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
}

void Ema::lerpTowardsOnline(double decay) {
    torch::NoGradGuard noGrad;
    auto src = tensorsOf(*online_), dst = tensorsOf(*shadow_);
    for (size_t i = 0; i < src.size(); ++i) {
        if (dst[i].is_floating_point()) dst[i].lerp_(src[i], 1.0 - decay);
        else dst[i].copy_(src[i]);
    }
}

io::PyValuePtr Ema::stateDict() const {
    auto dict = io::PyValue::dict(true);
    dict->set("initted", io::PyValue::tensor(torch::tensor(initted_)));
    dict->set("step", io::PyValue::tensor(torch::tensor(step_, torch::kLong)));
    for (const auto& part : {checkpoint::StateDict::fromModule(*online_, "online_model."),
                             checkpoint::StateDict::fromModule(*shadow_, "ema_model.")})
        for (const auto& [name, t] : part.entries())
            dict->set(name, io::PyValue::tensor(t.detach().cpu().contiguous()));
    return dict;
}

void Ema::loadStateDict(const io::PyValue& dict) {
    const auto& initted = dict.at("initted");
    const auto& step = dict.at("step");
    load(checkpoint::StateDict::fromPyDict(dict).withPrefix("ema_model."),
         step.is(io::PyValue::Kind::Tensor) ? step.asTensor().item<int64_t>() : step.asInt(),
         initted.is(io::PyValue::Kind::Tensor) ? initted.asTensor().item<bool>() : initted.asBool());
}

void Ema::load(const checkpoint::StateDict& shadowWeights, int64_t step, bool initted) {
    shadowWeights.loadInto(*shadow_, "the EMA weights");
    step_ = step;
    initted_ = initted;
}

}  // namespace ds::train
