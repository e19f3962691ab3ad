#include "core/nn/linear_attention.h"

#include <cmath>

namespace ds::nn {

LinearAttentionImpl::LinearAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv)
    : heads_(heads), dimHead_(dimHead), scale_(1.0 / std::sqrt(static_cast<double>(dimHead))) {
    const int64_t hidden = heads * dimHead;
    norm_ = register_module("norm", RMSNorm(dim));
    memKv_ = register_parameter("mem_kv", torch::randn({2, heads, dimHead, numMemKv}));
    toQkv_ = register_module("to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, hidden * 3, 1).bias(false)));
    toOut_ = register_module("to_out", torch::nn::Sequential(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, dim, 1)), RMSNorm(dim)));
}

torch::Tensor LinearAttentionImpl::forward(const torch::Tensor& x) {
    const auto b = x.size(0), h = x.size(2), w = x.size(3);
    auto qkv = toQkv_->forward(norm_->forward(x)).chunk(3, 1);
    // 'b (h c) x y -> b h c (x y)'
    auto split = [&](const torch::Tensor& t) { return t.reshape({b, heads_, dimHead_, h * w}); };
    auto q = split(qkv[0]);
    auto k = torch::cat({memKv_[0].unsqueeze(0).expand({b, -1, -1, -1}), split(qkv[1])}, -1);
    auto v = torch::cat({memKv_[1].unsqueeze(0).expand({b, -1, -1, -1}), split(qkv[2])}, -1);
    q = q.softmax(-2) * scale_;
    k = k.softmax(-1);
    auto context = torch::matmul(k, v.transpose(-1, -2));       // b h d e
    auto out = torch::matmul(context.transpose(-1, -2), q);      // b h e n
    return toOut_->forward(out.reshape({b, heads_ * dimHead_, h, w}));
}

}  // namespace ds::nn
