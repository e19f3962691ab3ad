// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/openai_attention_block.h"

#include "core/nn/openai_unet_config.h"

#include <cmath>

namespace ds::nn {

OpenAiAttentionBlockImpl::OpenAiAttentionBlockImpl(int64_t channels, int64_t heads, bool newOrder)
    : heads_(heads), newOrder_(newOrder) {
    norm_ =
        register_module("norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(OpenAiUnetConfig::kGroups, channels)));
    qkv_ = register_module("qkv", torch::nn::Conv1d(channels, 3 * channels, 1));
    projOut_ = register_module("proj_out", torch::nn::Conv1d(channels, channels, 1));
}

torch::Tensor OpenAiAttentionBlockImpl::forward(const torch::Tensor& x) {
    const auto sizes = x.sizes().vec();
    const int64_t batch = sizes[0], channels = sizes[1];
    const torch::Tensor flat = x.reshape({batch, channels, -1});
    const int64_t length = flat.size(2), headChannels = channels / heads_;
    const torch::Tensor qkv = qkv_->forward(norm_->forward(flat));
    // q, k, v as (batch * heads, head channels, pixels).
    std::vector<torch::Tensor> parts;
    if (newOrder_) {
        for (const auto& part : qkv.chunk(3, 1)) parts.push_back(part.reshape({batch * heads_, headChannels, length}));
    } else {
        parts = qkv.reshape({batch * heads_, 3 * headChannels, length}).split(headChannels, 1);
    }
    // Both factors scaled by ch^-1/4, as upstream (its comment: more stable in float16).
    const double scale = 1.0 / std::sqrt(std::sqrt(double(headChannels)));
    const torch::Tensor weight = torch::softmax(torch::bmm((parts[0] * scale).transpose(1, 2), parts[1] * scale), -1);
    const torch::Tensor attended = torch::bmm(parts[2], weight.transpose(1, 2)).reshape({batch, channels, length});
    return (flat + projOut_->forward(attended)).reshape(sizes);
}

}  // namespace ds::nn
