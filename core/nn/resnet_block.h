// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' ResnetBlock: time embedding -> (scale, shift) for block1, then block2, plus a
// residual (1x1 conv when the channel count changes). Parameter names match upstream:
// mlp.1.*, block1.*, block2.*, res_conv.*.
#pragma once
#include "core/nn/conv_block.h"

#include <torch/torch.h>

namespace ds::nn {

class ResnetBlockImpl : public torch::nn::Module {
public:
    ResnetBlockImpl(int64_t dimIn, int64_t dimOut, int64_t timeEmbDim, double dropout);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timeEmb);

private:
    torch::nn::Sequential mlp_{nullptr};
    ConvBlock block1_{nullptr};
    ConvBlock block2_{nullptr};
    torch::nn::Conv2d resConv_{nullptr};  // null when dimIn == dimOut (nn.Identity upstream)
};
TORCH_MODULE(ResnetBlock);

}  // namespace ds::nn
