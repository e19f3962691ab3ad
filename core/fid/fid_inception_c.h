// SPDX-License-Identifier: GPL-3.0-or-later
// pytorch-fid's FIDInceptionC (Mixed_6b..6e): torchvision's InceptionC with an average pool
// that leaves the zero padding out (count_include_pad=False).
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/pointwise_branches.h"

#include <torch/torch.h>

namespace ds::fid {

class FidInceptionCImpl : public torch::nn::Module {
public:
    FidInceptionCImpl(int64_t inChannels, int64_t channels7x7);
    void prepare();  // after every BasicConv2d is folded
    torch::Tensor forward(const torch::Tensor& x) const;

    BasicConv2d branch1x1{nullptr};
    BasicConv2d branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr};
    BasicConv2d branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr}, branch7x7dbl_4{nullptr},
        branch7x7dbl_5{nullptr};
    BasicConv2d branch_pool{nullptr};

private:
    PointwiseBranches heads_;
};
TORCH_MODULE(FidInceptionC);

}  // namespace ds::fid
