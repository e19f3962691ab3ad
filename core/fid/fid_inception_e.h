// SPDX-License-Identifier: GPL-3.0-or-later
// pytorch-fid's FIDInceptionE_1 (Mixed_7b: average pool without the zero padding) and
// FIDInceptionE_2 (Mixed_7c: max pool, a bug in the TensorFlow original that FID keeps):
// torchvision's InceptionE with the pool of the branch_pool branch chosen at construction.
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/pointwise_branches.h"

#include <torch/torch.h>

namespace ds::fid {

enum class PoolBranch { Average, Max };

class FidInceptionEImpl : public torch::nn::Module {
public:
    FidInceptionEImpl(int64_t inChannels, PoolBranch pool);
    void prepare();  // after every BasicConv2d is folded
    torch::Tensor forward(const torch::Tensor& x) const;

    BasicConv2d branch1x1{nullptr};
    BasicConv2d branch3x3_1{nullptr}, branch3x3_2a{nullptr}, branch3x3_2b{nullptr};
    BasicConv2d branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr};
    BasicConv2d branch_pool{nullptr};

private:
    PoolBranch pool_;
    PointwiseBranches heads_;
};
TORCH_MODULE(FidInceptionE);

}  // namespace ds::fid
