// SPDX-License-Identifier: GPL-3.0-or-later
// OpenAI guided-diffusion's AttentionBlock (torchcfm's UNetModel): GroupNorm32, a 1x1 conv to
// q, k, v over the flattened pixels, softmax attention per head, a 1x1 projection and a residual.
// The two head layouts of its QKV split: the legacy one (QKVAttentionLegacy, the default:
// channels grouped per head as [q k v] of that head) and the new one (QKVAttention:
// [all q, all k, all v], then heads). Same weights, different results.
// Names: norm.*, qkv.*, proj_out.*.
#pragma once
#include <torch/torch.h>

namespace ds::nn {

class OpenAiAttentionBlockImpl : public torch::nn::Module {
public:
    OpenAiAttentionBlockImpl(int64_t channels, int64_t heads, bool newOrder);
    torch::Tensor forward(const torch::Tensor& x);

private:
    int64_t heads_;
    bool newOrder_;
    torch::nn::GroupNorm norm_{nullptr};
    torch::nn::Conv1d qkv_{nullptr};
    torch::nn::Conv1d projOut_{nullptr};
};
TORCH_MODULE(OpenAiAttentionBlock);

}  // namespace ds::nn
