#include "core/train/gradient_averager.h"

#include "core/util/error.h"

namespace ds::train {

GradientAverager::GradientAverager(std::vector<torch::Tensor> parameters, ProcessGroup& group, double bucketMiB)
    : parameters_(std::move(parameters)), group_(group) {
    const auto capBytes = int64_t(std::max(bucketMiB, 0.0) * 1024.0 * 1024.0);
    Bucket current;
    int64_t currentBytes = 0;
    for (size_t i = parameters_.size(); i-- > 0;) {
        const auto& p = parameters_[i];
        current.parameters.push_back(i);
        current.numel += p.numel();
        currentBytes += p.numel() * int64_t(p.element_size());
        if (currentBytes >= capBytes) {
            buckets_.push_back(std::move(current));
            current = Bucket();
            currentBytes = 0;
        }
    }
    if (!current.parameters.empty()) buckets_.push_back(std::move(current));
}

torch::Tensor GradientAverager::pack(const Bucket& bucket, int64_t step) const {
    std::vector<torch::Tensor> grads;
    grads.reserve(bucket.parameters.size());
    for (const size_t i : bucket.parameters) {
        const auto& grad = parameters_[i].grad();
        if (!grad.defined())
            throw Error(group_.name() + ": parameter " + std::to_string(i) + " got no gradient at step " +
                        std::to_string(step) + "; data-parallel training needs every parameter in every step");
        grads.push_back(grad.reshape({-1}));
    }
    return torch::cat(grads);
}

void GradientAverager::unpack(const Bucket& bucket, const torch::Tensor& flat) const {
    int64_t offset = 0;
    for (const size_t i : bucket.parameters) {
        auto grad = parameters_[i].mutable_grad();
        const int64_t n = grad.numel();
        grad.copy_(flat.narrow(0, offset, n).view(grad.sizes()));
        offset += n;
    }
}

void GradientAverager::average(int64_t step) {
    if (group_.worldSize() == 1) return;
    torch::NoGradGuard noGrad;
    const std::string what = "the gradient all-reduce of step " + std::to_string(step);
    std::vector<torch::Tensor> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    flats.reserve(buckets_.size());
    for (const auto& bucket : buckets_) {
        flats.push_back(pack(bucket, step));
        works.push_back(group_.allreduceSumAsync(flats.back(), what));
    }
    const double scale = 1.0 / group_.worldSize();
    for (size_t b = 0; b < buckets_.size(); ++b) {
        group_.wait(works[b], what);
        unpack(buckets_[b], flats[b].mul_(scale));
    }
}

}  // namespace ds::train
