// SPDX-License-Identifier: GPL-3.0-or-later
// OpenAI guided-diffusion's UNetModel as torchcfm ships it (torchcfm/models/unet/unet.py: the
// network of torchcfm's image examples), as a velocity field v(x, t[, y]) with raw t in [0, 1] -
// what torchcfm trains it on; class-conditional with num_classes (label_emb). Identical state_dict names and shapes, so
// torchcfm's checkpoints load as they are.
//
// Layout: time_embed (sinusoidal [cos, sin] of t, Linear-SiLU-Linear to 4 x model_channels);
// input_blocks: a 3x3 conv, then per level num_res_blocks ResBlocks (each followed by attention
// at the chosen downsample rates) and a downsampling block between levels; middle_block:
// ResBlock, attention, ResBlock; output_blocks: per level, deepest first, num_res_blocks + 1
// ResBlocks on the concatenation with the matching input block's output, attention likewise, and
// an upsampling block closing every level but the first; out: GroupNorm32-SiLU-conv.
#pragma once
#include "core/nn/openai_unet_config.h"
#include "core/nn/timestep_block.h"

#include <torch/torch.h>

namespace ds::nn {

class OpenAiUnetImpl : public torch::nn::Module {
public:
    explicit OpenAiUnetImpl(const OpenAiUnetConfig& config);  // validates the config

    // x: (B, C, H, W), H and W multiples of downsampleFactor(); t: (B) or a 0-d time; y: (B)
    // int64 labels, required by a class-conditional model and refused by another (upstream's
    // assertion).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y = {});

    const OpenAiUnetConfig& config() const { return config_; }

    // Convolutions on channels-last (NHWC) weights and activations, as UnetImpl offers.
    void setChannelsLast(bool on);

    // Upstream's timestep_embedding: [cos(t f_k), sin(t f_k)], f_k = 10000^(-k / (dim/2)).
    static torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim);

private:
    OpenAiResBlock resBlock(int64_t in, int64_t out, Resampling resampling = Resampling::None) const;
    OpenAiAttentionBlock attention(int64_t channels) const;
    TimestepBlock resampling(int64_t channels, Resampling direction) const;

    OpenAiUnetConfig config_;
    bool channelsLast_ = false;
    torch::nn::Sequential timeEmbed_{nullptr};
    torch::nn::Embedding labelEmb_{nullptr};
    torch::nn::ModuleList inputBlocks_{nullptr};
    TimestepBlock middleBlock_{nullptr};
    torch::nn::ModuleList outputBlocks_{nullptr};
    torch::nn::Sequential out_{nullptr};
    std::vector<TimestepBlock> inputs_, outputs_;
};
TORCH_MODULE(OpenAiUnet);

}  // namespace ds::nn
