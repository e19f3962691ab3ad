// SPDX-License-Identifier: GPL-3.0-or-later
// g4vrel/CFM's ResBlock: block1 (GroupNorm, SiLU, Identity, Conv3x3), the time embedding applied
// to block2's GroupNorm as (1 + scale, shift) or added before it, block2 (GroupNorm, SiLU,
// Dropout, Conv3x3), a residual sum divided by sqrt(2), then optional attention.
// Names: skip_connection.* (1x1 conv when the width changes), block1.{0,3}.*, block2.{0,3}.*,
// cond_block.proj.1.*, attn.*.
#pragma once
#include "core/flow/flow_attention.h"

#include <torch/torch.h>

namespace ds::flow {

struct FlowResBlockOptions {
    int64_t dimIn = 0;
    int64_t dimOut = 0;
    int64_t embDim = 0;
    bool scaleShift = true;
    int64_t groups = 32;
    double dropout = 0.0;
    bool attention = false;
};

class FlowResBlockImpl : public torch::nn::Module {
public:
    explicit FlowResBlockImpl(const FlowResBlockOptions& options);
    // x: (B, dimIn, H, W); emb: (B, embDim) the projected time embedding.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);

private:
    bool scaleShift_;
    torch::nn::Conv2d skip_{nullptr};  // null: identity (dimIn == dimOut)
    torch::nn::Sequential block1_{nullptr};
    torch::nn::Sequential block2_{nullptr};
    torch::nn::Sequential condProj_{nullptr};
    FlowAttention attn_{nullptr};  // null: no attention
};
TORCH_MODULE(FlowResBlock);

}  // namespace ds::flow
