// SPDX-License-Identifier: GPL-3.0-or-later
// OpenAI guided-diffusion's ResBlock (torchcfm's UNetModel): GroupNorm32-SiLU-conv, the time
// embedding added (or, with use_scale_shift_norm, as FiLM scale and shift of the second norm),
// GroupNorm32-SiLU-dropout-conv, plus a skip (1x1 conv when the channel count changes). As an
// up/down block (resblock_updown) it resamples both paths between the first norm and conv.
// Names: in_layers.{0,2}.*, emb_layers.1.*, out_layers.{0,3}.*, skip_connection.*.
#pragma once
#include <torch/torch.h>

namespace ds::nn {

enum class Resampling { None, Up, Down };

class OpenAiResBlockImpl : public torch::nn::Module {
public:
    OpenAiResBlockImpl(int64_t channels, int64_t embChannels, int64_t outChannels, bool scaleShift, double dropout,
                       Resampling resampling = Resampling::None);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);

    // UNetModel's Upsample / Downsample without a convolution: nearest 2x / 2x2 average.
    static torch::Tensor resample(const torch::Tensor& x, Resampling resampling);

private:
    bool scaleShift_;
    Resampling resampling_;
    torch::nn::GroupNorm inNorm_{nullptr}, outNorm_{nullptr};
    torch::nn::Conv2d inConv_{nullptr}, outConv_{nullptr};
    torch::nn::Linear embLinear_{nullptr};
    torch::nn::Dropout dropout_{nullptr};
    torch::nn::Conv2d skip_{nullptr};  // null when the channel count stays (nn.Identity upstream)
};
TORCH_MODULE(OpenAiResBlock);

}  // namespace ds::nn
