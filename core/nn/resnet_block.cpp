// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/resnet_block.h"

namespace ds::nn {

ResnetBlockImpl::ResnetBlockImpl(int64_t dimIn, int64_t dimOut, int64_t timeEmbDim, double dropout) {
    mlp_ = register_module("mlp", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(timeEmbDim, dimOut * 2)));
    // Upstream: block1 carries the dropout, block2 does not.
    block1_ = register_module("block1", ConvBlock(dimIn, dimOut, dropout));
    block2_ = register_module("block2", ConvBlock(dimOut, dimOut, 0.0));
    if (dimIn != dimOut)
        resConv_ = register_module("res_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dimIn, dimOut, 1)));
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& timeEmb) {
    auto emb = mlp_->forward(timeEmb).unsqueeze(-1).unsqueeze(-1);
    auto chunks = emb.chunk(2, 1);
    auto h = block1_->forward(x, std::make_pair(chunks[0], chunks[1]));
    h = block2_->forward(h);
    return h + (resConv_ ? resConv_->forward(x) : x);
}

}  // namespace ds::nn
