// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' Attention (the last stage and the middle): softmax(q k^T / sqrt(d)) v over the
// sequence. Names: mem_kv (2, heads, 4, dim_head), norm.g, to_qkv.weight, to_out.{weight,bias}.
#pragma once
#include "core/nn/qkv_attention.h"

namespace ds::nn {

class FullAttentionImpl : public QkvAttention {
public:
    FullAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv = 4);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Conv2d toOut_{nullptr};
};
TORCH_MODULE(FullAttention);

}  // namespace ds::nn
