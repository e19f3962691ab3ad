// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' Block: 3x3 conv -> RMSNorm -> optional FiLM (scale + 1, shift) -> SiLU -> dropout.
#pragma once
#include "core/nn/rms_norm.h"

#include <torch/torch.h>

#include <optional>
#include <utility>

namespace ds::nn {

class ConvBlockImpl : public torch::nn::Module {
public:
    ConvBlockImpl(int64_t dimIn, int64_t dimOut, double dropout);
    torch::Tensor forward(const torch::Tensor& x,
                          const std::optional<std::pair<torch::Tensor, torch::Tensor>>& scaleShift = std::nullopt);

    torch::nn::Conv2d proj{nullptr};
    RMSNorm norm{nullptr};

private:
    double dropout_;
};
TORCH_MODULE(ConvBlock);

}  // namespace ds::nn
