// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' Unet from denoising_diffusion_pytorch 2.x, with identical state_dict names and
// shapes so that upstream checkpoints load as they are and ours load upstream.
#pragma once
#include "core/nn/resnet_block.h"
#include "core/nn/unet_config.h"

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace ds::nn {

// A registered submodule and how to call it: attention and resampling layers vary in type,
// and AnyModule cannot hold a Sequential.
struct UnetLayer {
    std::shared_ptr<torch::nn::Module> module;
    std::function<torch::Tensor(const torch::Tensor&)> forward;
};

class UnetImpl : public torch::nn::Module {
public:
    explicit UnetImpl(const UnetConfig& config);

    // x: (B, channels, H, W); time: (B) timesteps (integer or continuous);
    // selfCond: the previous x0 prediction when self_condition is on (zeros when absent);
    // classes: (B) labels, needed exactly when the config has num_classes (ds::Error otherwise).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time,
                          const std::optional<torch::Tensor>& selfCond = std::nullopt,
                          const torch::Tensor& classes = {});

    const UnetConfig& config() const { return config_; }

    // Runs convolutions on channels-last (NHWC) activations and weights: oneDNN then needs no
    // layout reorders around each convolution. Same results up to float rounding.
    void setChannelsLast(bool on);
    bool channelsLast() const { return channelsLast_; }

private:
    using Layer = UnetLayer;
    struct Stage {
        ResnetBlock block1{nullptr};
        ResnetBlock block2{nullptr};
        Layer attn;
        Layer resample;
    };

    static Layer makeAttention(bool full, int64_t dim, int64_t heads, int64_t dimHead);
    Stage makeStage(torch::nn::ModuleList& list, int64_t blockIn, int64_t blockOut, int64_t attnDim, bool full,
                    int64_t heads, int64_t dimHead, Layer resample);

    UnetConfig config_;
    bool channelsLast_ = false;
    torch::nn::Conv2d initConv_{nullptr};
    torch::nn::Sequential timeMlp_{nullptr};
    torch::nn::ModuleList downs_{nullptr};
    torch::nn::ModuleList ups_{nullptr};
    std::vector<Stage> downStages_;
    std::vector<Stage> upStages_;
    ResnetBlock midBlock1_{nullptr};
    Layer midAttn_;
    ResnetBlock midBlock2_{nullptr};
    ResnetBlock finalResBlock_{nullptr};
    torch::nn::Conv2d finalConv_{nullptr};
    torch::nn::Embedding labelEmb_{nullptr};  // num_classes > 0 only
};
TORCH_MODULE(Unet);

}  // namespace ds::nn
