// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' LinearAttention (the early, high-resolution stages): softmax over the feature axis
// for q and over the sequence for k. Names: mem_kv (2, heads, dim_head, 4), norm.g,
// to_qkv.weight, to_out.0.*, to_out.1.g.
#pragma once
#include "core/nn/qkv_attention.h"

namespace ds::nn {

class LinearAttentionImpl : public QkvAttention {
public:
    LinearAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv = 4);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Sequential toOut_{nullptr};
};
TORCH_MODULE(LinearAttention);

}  // namespace ds::nn
