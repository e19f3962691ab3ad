// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/openai_resample.h"

namespace ds::nn {

OpenAiResampleImpl::OpenAiResampleImpl(int64_t channels, Resampling direction, bool useConv) : direction_(direction) {
    if (!useConv) return;
    auto options = torch::nn::Conv2dOptions(channels, channels, 3).padding(1);
    if (direction == Resampling::Down) conv_ = register_module("op", torch::nn::Conv2d(options.stride(2)));
    else conv_ = register_module("conv", torch::nn::Conv2d(options));
}

torch::Tensor OpenAiResampleImpl::forward(const torch::Tensor& x) {
    if (direction_ == Resampling::Down) return conv_ ? conv_->forward(x) : OpenAiResBlockImpl::resample(x, direction_);
    const torch::Tensor up = OpenAiResBlockImpl::resample(x, direction_);
    return conv_ ? conv_->forward(up) : up;
}

}  // namespace ds::nn
