// lucidrains' Attention (the last stage and the middle): softmax(q k^T / sqrt(d)) v with
// 4 learned memory key/values. Names: norm.g, mem_kv (2, heads, num_mem_kv, dim_head),
// to_qkv.weight, to_out.{weight,bias}.
#pragma once
#include "core/nn/rms_norm.h"

#include <torch/torch.h>

namespace ds::nn {

class FullAttentionImpl : public torch::nn::Module {
public:
    FullAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv = 4);
    torch::Tensor forward(const torch::Tensor& x);

private:
    int64_t heads_;
    int64_t dimHead_;
    double scale_;
    RMSNorm norm_{nullptr};
    torch::Tensor memKv_;
    torch::nn::Conv2d toQkv_{nullptr};
    torch::nn::Conv2d toOut_{nullptr};
};
TORCH_MODULE(FullAttention);

}  // namespace ds::nn
