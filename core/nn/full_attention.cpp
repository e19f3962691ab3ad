#include "core/nn/full_attention.h"

#include <cmath>

namespace ds::nn {

FullAttentionImpl::FullAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv)
    : heads_(heads), dimHead_(dimHead), scale_(1.0 / std::sqrt(static_cast<double>(dimHead))) {
    const int64_t hidden = heads * dimHead;
    norm_ = register_module("norm", RMSNorm(dim));
    memKv_ = register_parameter("mem_kv", torch::randn({2, heads, numMemKv, dimHead}));
    toQkv_ = register_module("to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, hidden * 3, 1).bias(false)));
    toOut_ = register_module("to_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, dim, 1)));
}

torch::Tensor FullAttentionImpl::forward(const torch::Tensor& x) {
    const auto b = x.size(0), h = x.size(2), w = x.size(3);
    auto qkv = toQkv_->forward(norm_->forward(x)).chunk(3, 1);
    // 'b (h c) x y -> b h (x y) c'
    auto split = [&](const torch::Tensor& t) { return t.reshape({b, heads_, dimHead_, h * w}).transpose(-1, -2); };
    auto q = split(qkv[0]);
    auto k = torch::cat({memKv_[0].unsqueeze(0).expand({b, -1, -1, -1}), split(qkv[1])}, -2);
    auto v = torch::cat({memKv_[1].unsqueeze(0).expand({b, -1, -1, -1}), split(qkv[2])}, -2);
    auto attn = (torch::matmul(q, k.transpose(-1, -2)) * scale_).softmax(-1);
    auto out = torch::matmul(attn, v);  // b h n d
    // 'b h (x y) d -> b (h d) x y'
    out = out.transpose(-1, -2).reshape({b, heads_ * dimHead_, h, w});
    return toOut_->forward(out);
}

}  // namespace ds::nn
