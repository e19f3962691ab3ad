// SPDX-License-Identifier: GPL-3.0-or-later
// pytorch-fid's FIDInceptionA (Mixed_5b/5c/5d): torchvision's InceptionA whose average pool
// leaves the zero padding out (count_include_pad=False), as the TensorFlow original did.
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/pointwise_branches.h"

#include <torch/torch.h>

namespace ds::fid {

class FidInceptionAImpl : public torch::nn::Module {
public:
    FidInceptionAImpl(int64_t inChannels, int64_t poolFeatures);
    void prepare();  // after every BasicConv2d is folded
    torch::Tensor forward(const torch::Tensor& x) const;

    BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr};
    BasicConv2d branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr};
    BasicConv2d branch_pool{nullptr};

private:
    PointwiseBranches heads_;
};
TORCH_MODULE(FidInceptionA);

}  // namespace ds::fid
