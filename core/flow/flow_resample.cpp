// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_resample.h"

namespace ds::flow {

FlowResampleImpl::FlowResampleImpl(Direction direction, int64_t dimIn, int64_t dimOut) : direction_(direction) {
    const int64_t stride = direction == Direction::Down ? 2 : 1;
    conv_ = register_module("conv",
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(dimIn, dimOut, 3).stride(stride).padding(1)));
}

torch::Tensor FlowResampleImpl::forward(const torch::Tensor& x) {
    if (direction_ == Direction::Down) return conv_->forward(x);
    namespace F = torch::nn::functional;
    const auto up = F::interpolate(
        x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
    return conv_->forward(up);
}

}  // namespace ds::flow
