// SPDX-License-Identifier: GPL-3.0-or-later
// g4vrel/CFM's AttentionBlock: GroupNorm, 1x1-conv Q, K, V, softmax attention over the pixels,
// 1x1-conv proj, and a residual sum divided by sqrt(2). Heads are interleaved in the channel
// axis as einops' `(head_dim num_heads)`: channel c belongs to head c % num_heads.
// Names: norm.*, Q.*, K.*, V.*, proj.*.
#pragma once
#include <torch/torch.h>

namespace ds::flow {

class FlowAttentionImpl : public torch::nn::Module {
public:
    FlowAttentionImpl(int64_t channels, int64_t heads, int64_t groups);
    torch::Tensor forward(const torch::Tensor& x);

private:
    // (B, C, H, W) -> (B, heads, H*W, head_dim) with the interleaved channel layout.
    torch::Tensor splitHeads(const torch::Tensor& x) const;

    int64_t heads_;
    torch::nn::GroupNorm norm_{nullptr};
    torch::nn::Conv2d q_{nullptr}, k_{nullptr}, v_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(FlowAttention);

}  // namespace ds::flow
