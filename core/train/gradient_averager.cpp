// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/gradient_averager.h"

#include "core/util/error.h"

namespace ds::train {

GradientAverager::GradientAverager(std::vector<torch::Tensor> parameters, ProcessGroup& group, double bucketMiB)
    : parameters_(std::move(parameters)), group_(group), bucketOf_(parameters_.size()), offsetOf_(parameters_.size()) {
    const auto capBytes = int64_t(std::max(bucketMiB, 0.0) * 1024.0 * 1024.0);
    int64_t bytes = 0, numel = 0;
    for (size_t i = parameters_.size(); i-- > 0;) {
        if (buckets_.empty() || bytes >= capBytes) {
            if (!buckets_.empty()) buckets_.back().flat = torch::empty({numel}, parameters_[i + 1].options());
            buckets_.emplace_back();
            bytes = numel = 0;
        }
        const auto& p = parameters_[i];
        buckets_.back().parameters.push_back(i);
        bucketOf_[i] = buckets_.size() - 1;
        offsetOf_[i] = numel;
        numel += p.numel();
        bytes += p.numel() * int64_t(p.element_size());
    }
    if (!buckets_.empty()) buckets_.back().flat = torch::empty({numel}, parameters_.front().options());
    for (size_t i = 0; i < parameters_.size(); ++i)
        hooks_.push_back(parameters_[i].register_hook([this, i](const torch::Tensor& grad) { onGradient(i, grad); }));
}

GradientAverager::~GradientAverager() {
    for (size_t i = 0; i < hooks_.size(); ++i) parameters_[i].remove_hook(hooks_[i]);
}

void GradientAverager::expectFinalBackward(int64_t step) {
    step_ = step;
    armed_ = group_.worldSize() > 1;
    nextLaunch_ = 0;
    for (auto& b : buckets_) {
        b.pending = b.parameters.size();
        b.work.reset();
    }
}

void GradientAverager::onGradient(size_t parameter, const torch::Tensor& grad) {
    if (!armed_) return;  // an earlier micro-batch: its gradient only accumulates
    torch::NoGradGuard noGrad;
    auto& bucket = buckets_[bucketOf_[parameter]];
    const auto& p = parameters_[parameter];
    // The hook runs before the gradient is accumulated: add what earlier micro-batches left.
    auto slot = bucket.flat.narrow(0, offsetOf_[parameter], p.numel()).view(p.sizes());
    if (p.grad().defined()) torch::add_out(slot, p.grad(), grad);
    else slot.copy_(grad);
    if (--bucket.pending == 0) launchReadyBuckets();
}

void GradientAverager::launchReadyBuckets() {
    const std::string what = "the gradient all-reduce of step " + std::to_string(step_);
    while (nextLaunch_ < buckets_.size() && buckets_[nextLaunch_].pending == 0) {
        auto& b = buckets_[nextLaunch_++];
        b.work = group_.allreduceSumAsync(b.flat, what);
    }
}

void GradientAverager::finish() {
    if (!armed_) return;
    armed_ = false;
    if (nextLaunch_ < buckets_.size()) {
        const auto& b = buckets_[nextLaunch_];
        for (const size_t i : b.parameters)
            if (!parameters_[i].grad().defined())
                throw Error(group_.name() + ": parameter " + std::to_string(i) + " got no gradient at step " +
                            std::to_string(step_) + "; data-parallel training needs every parameter in every step");
        throw Error(group_.name() + ": " + std::to_string(b.pending) + " gradients of bucket " +
                    std::to_string(nextLaunch_) + " never arrived at step " + std::to_string(step_));
    }
    torch::NoGradGuard noGrad;
    const std::string what = "the gradient all-reduce of step " + std::to_string(step_);
    const double scale = 1.0 / group_.worldSize();
    for (auto& b : buckets_) {
        group_.wait(b.work, what);
        b.flat.mul_(scale);
        for (const size_t i : b.parameters) {
            auto grad = parameters_[i].mutable_grad();
            grad.copy_(b.flat.narrow(0, offsetOf_[i], grad.numel()).view(grad.sizes()));
        }
    }
}

}  // namespace ds::train
