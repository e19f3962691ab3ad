// SPDX-License-Identifier: GPL-3.0-or-later
// OpenAI guided-diffusion's Upsample / Downsample between the U-Net's levels (when the blocks
// are not ResBlocks, resblock_updown=False): nearest 2x then a 3x3 conv (conv.*), or a strided
// 3x3 conv (op.*); with conv_resample=False, no conv (and no weights): nearest 2x, 2x2 average.
#pragma once
#include "core/nn/openai_res_block.h"

#include <torch/torch.h>

namespace ds::nn {

class OpenAiResampleImpl : public torch::nn::Module {
public:
    OpenAiResampleImpl(int64_t channels, Resampling direction, bool useConv);
    torch::Tensor forward(const torch::Tensor& x);

private:
    Resampling direction_;
    torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(OpenAiResample);

}  // namespace ds::nn
