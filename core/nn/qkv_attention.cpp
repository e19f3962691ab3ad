// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/qkv_attention.h"

#include <cmath>

namespace ds::nn {

QkvAttention::QkvAttention(int64_t dim, int64_t heads, int64_t dimHead, const std::vector<int64_t>& memKvShape)
    : heads_(heads), dimHead_(dimHead), scale_(1.0 / std::sqrt(static_cast<double>(dimHead))) {
    memKv_ = register_parameter("mem_kv", torch::randn(memKvShape));
    norm_ = register_module("norm", RMSNorm(dim));
    toQkv_ =
        register_module("to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, heads * dimHead * 3, 1).bias(false)));
}

std::array<torch::Tensor, 3> QkvAttention::projectQkv(const torch::Tensor& x) {
    const auto b = x.size(0), n = x.size(2) * x.size(3);
    auto qkv = toQkv_->forward(norm_->forward(x)).chunk(3, 1);
    return {qkv[0].reshape({b, heads_, dimHead_, n}), qkv[1].reshape({b, heads_, dimHead_, n}),
            qkv[2].reshape({b, heads_, dimHead_, n})};
}

torch::Tensor QkvAttention::memory(int64_t index, int64_t batch) const {
    return memKv_[index].unsqueeze(0).expand({batch, -1, -1, -1});
}

}  // namespace ds::nn
