// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/linear_attention.h"

namespace ds::nn {

LinearAttentionImpl::LinearAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv)
    : QkvAttention(dim, heads, dimHead, {2, heads, dimHead, numMemKv}) {
    toOut_ = register_module(
        "to_out",
        torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(heads * dimHead, dim, 1)), RMSNorm(dim)));
}

torch::Tensor LinearAttentionImpl::forward(const torch::Tensor& x) {
    const auto b = x.size(0);
    auto [q, k, v] = projectQkv(x);
    k = torch::cat({memory(0, b), k}, -1);
    v = torch::cat({memory(1, b), v}, -1);
    q = q.softmax(-2) * scale_;
    k = k.softmax(-1);
    auto context = torch::matmul(k, v.transpose(-1, -2));    // b h d e
    auto out = torch::matmul(context.transpose(-1, -2), q);  // b h e n
    return toOut_->forward(out.reshape({b, heads_ * dimHead_, x.size(2), x.size(3)}));
}

}  // namespace ds::nn
