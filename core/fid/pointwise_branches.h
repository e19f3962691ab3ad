// SPDX-License-Identifier: GPL-3.0-or-later
// The 1x1 convolutions that open several branches of an Inception block all read the block's
// input: they run as one convolution (one pass over the input, one larger matrix product) and
// the result is split by branch. A branch that pytorch-fid computes as 1x1 conv(avg_pool(x))
// can join them too: with count_include_pad=False the pool's weights sum to one, so pooling
// commutes with the (BatchNorm-folded) affine 1x1 convolution, and pooling after the
// convolution touches fewer channels.
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/folded_conv.h"

#include <torch/torch.h>

#include <vector>

namespace ds::fid {

class PointwiseBranches {
public:
    PointwiseBranches() = default;
    // `convs` must be folded 1x1 convolutions with stride 1; when `lastIsAvgPooled`, the last
    // one is the average-pool branch (3x3, stride 1, padding 1, count_include_pad=False).
    PointwiseBranches(const std::vector<BasicConv2d>& convs, bool lastIsAvgPooled);

    // The branches' activations (after ReLU), in the order of `convs`.
    std::vector<torch::Tensor> operator()(const torch::Tensor& x) const;

private:
    FoldedConv merged_;
    std::vector<int64_t> channels_;
    bool lastIsAvgPooled_ = false;
};

// pytorch-fid's average pool of the A, C and E_1 blocks.
torch::Tensor fidAvgPool3x3(const torch::Tensor& x);

}  // namespace ds::fid
