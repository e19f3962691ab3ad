// lucidrains' LinearAttention (used by the early, high-resolution stages): softmax over the
// feature axis for q and the sequence axis for k, with 4 learned memory key/values.
// Names: norm.g, mem_kv (2, heads, dim_head, num_mem_kv), to_qkv.weight, to_out.0.*, to_out.1.g.
#pragma once
#include "core/nn/rms_norm.h"

#include <torch/torch.h>

namespace ds::nn {

class LinearAttentionImpl : public torch::nn::Module {
public:
    LinearAttentionImpl(int64_t dim, int64_t heads, int64_t dimHead, int64_t numMemKv = 4);
    torch::Tensor forward(const torch::Tensor& x);

private:
    int64_t heads_;
    int64_t dimHead_;
    double scale_;
    RMSNorm norm_{nullptr};
    torch::Tensor memKv_;
    torch::nn::Conv2d toQkv_{nullptr};
    torch::nn::Sequential toOut_{nullptr};
};
TORCH_MODULE(LinearAttention);

}  // namespace ds::nn
