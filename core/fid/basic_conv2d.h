// SPDX-License-Identifier: GPL-3.0-or-later
// torchvision's BasicConv2d as pytorch-fid uses it: conv (no bias) -> BatchNorm (eps 0.001) ->
// ReLU, with the parameter names of the weight file ("conv.weight", "bn.running_mean", ...).
// It only runs in evaluation, with the BatchNorm folded into the convolution: call fold() after
// loading the weights (and after moving to the device), then forward().
#pragma once
#include "core/fid/folded_conv.h"

#include <torch/torch.h>

namespace ds::fid {

struct ConvShape {
    int64_t in = 0;
    int64_t out = 0;
    std::vector<int64_t> kernel{1, 1};
    std::vector<int64_t> stride{1, 1};
    std::vector<int64_t> padding{0, 0};
};

class BasicConv2dImpl : public torch::nn::Module {
public:
    explicit BasicConv2dImpl(const ConvShape& shape);

    void fold(torch::MemoryFormat format);                // BatchNorm -> conv weights (in `format`) and bias
    const FoldedConv& folded() const;                     // throws before fold()
    torch::Tensor forward(const torch::Tensor& x) const;  // ReLU(folded conv(x))

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};

private:
    ConvShape shape_;
    FoldedConv folded_;
    bool isFolded_ = false;
};
TORCH_MODULE(BasicConv2d);

}  // namespace ds::fid
