// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_attention.h"

#include <cmath>

namespace ds::flow {

namespace {

torch::nn::Conv2d pointwise(int64_t channels) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 1));
}

}  // namespace

FlowAttentionImpl::FlowAttentionImpl(int64_t channels, int64_t heads, int64_t groups) : heads_(heads) {
    norm_ = register_module("norm", torch::nn::GroupNorm(groups, channels));
    q_ = register_module("Q", pointwise(channels));
    k_ = register_module("K", pointwise(channels));
    v_ = register_module("V", pointwise(channels));
    proj_ = register_module("proj", pointwise(channels));
}

torch::Tensor FlowAttentionImpl::splitHeads(const torch::Tensor& x) const {
    const int64_t b = x.size(0), c = x.size(1);
    return x.reshape({b, c / heads_, heads_, -1}).permute({0, 2, 3, 1});
}

torch::Tensor FlowAttentionImpl::forward(const torch::Tensor& x) {
    const auto h = norm_->forward(x);
    const auto q = splitHeads(q_->forward(h));
    const auto k = splitHeads(k_->forward(h));
    const auto v = splitHeads(v_->forward(h));
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    const auto weights = torch::softmax(torch::matmul(q, k.transpose(-1, -2)) * scale, -1);
    // (B, heads, HW, head_dim) -> (B, head_dim, heads, HW) -> (B, C, H, W)
    const auto out = torch::matmul(weights, v).permute({0, 3, 1, 2}).reshape(x.sizes());
    return (x + proj_->forward(out)) / std::sqrt(2.0);
}

}  // namespace ds::flow
