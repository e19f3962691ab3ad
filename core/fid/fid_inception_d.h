// SPDX-License-Identifier: GPL-3.0-or-later
// torchvision's InceptionD (Mixed_7a, a grid reduction), unchanged in pytorch-fid.
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/pointwise_branches.h"

#include <torch/torch.h>

namespace ds::fid {

class FidInceptionDImpl : public torch::nn::Module {
public:
    explicit FidInceptionDImpl(int64_t inChannels);
    void prepare();  // after every BasicConv2d is folded
    torch::Tensor forward(const torch::Tensor& x) const;

    BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr};
    BasicConv2d branch7x7x3_1{nullptr}, branch7x7x3_2{nullptr}, branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};

private:
    PointwiseBranches heads_;
};
TORCH_MODULE(FidInceptionD);

}  // namespace ds::fid
