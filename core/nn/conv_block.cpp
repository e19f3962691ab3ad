// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/conv_block.h"

namespace ds::nn {

ConvBlockImpl::ConvBlockImpl(int64_t dimIn, int64_t dimOut, double dropout) : dropout_(dropout) {
    proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(dimIn, dimOut, 3).padding(1)));
    norm = register_module("norm", RMSNorm(dimOut));
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& x,
                                     const std::optional<std::pair<torch::Tensor, torch::Tensor>>& scaleShift) {
    auto h = norm->forward(proj->forward(x));
    if (scaleShift) h = torch::addcmul(scaleShift->second, h, scaleShift->first + 1.0);
    h = torch::silu(h);
    if (dropout_ > 0.0) h = torch::dropout(h, dropout_, is_training());
    return h;
}

}  // namespace ds::nn
