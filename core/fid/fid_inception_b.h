// SPDX-License-Identifier: GPL-3.0-or-later
// torchvision's InceptionB (Mixed_6a, a grid reduction), unchanged in pytorch-fid.
#pragma once
#include "core/fid/basic_conv2d.h"

#include <torch/torch.h>

namespace ds::fid {

class FidInceptionBImpl : public torch::nn::Module {
public:
    explicit FidInceptionBImpl(int64_t inChannels);
    torch::Tensor forward(const torch::Tensor& x) const;

    BasicConv2d branch3x3{nullptr};
    BasicConv2d branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
};
TORCH_MODULE(FidInceptionB);

}  // namespace ds::fid
