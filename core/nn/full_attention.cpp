// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/full_attention.h"

namespace ds::nn {

FullAttentionImpl::FullAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv)
    : QkvAttention(dim, heads, dimHead, {2, heads, numMemKv, dimHead}) {
    toOut_ = register_module("to_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(heads * dimHead, dim, 1)));
}

torch::Tensor FullAttentionImpl::forward(const torch::Tensor& x) {
    const auto b = x.size(0);
    auto [q, k, v] = projectQkv(x);
    // 'b h c n -> b h n c', with the memory prepended along the sequence.
    q = q.transpose(-1, -2);
    k = torch::cat({memory(0, b), k.transpose(-1, -2)}, -2);
    v = torch::cat({memory(1, b), v.transpose(-1, -2)}, -2);
    auto attn = (torch::matmul(q, k.transpose(-1, -2)) * scale_).softmax(-1);
    auto out = torch::matmul(attn, v);  // b h n d
    // 'b h (x y) d -> b (h d) x y'
    return toOut_->forward(out.transpose(-1, -2).reshape({b, heads_ * dimHead_, x.size(2), x.size(3)}));
}

}  // namespace ds::nn
