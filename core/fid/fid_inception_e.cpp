// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception_e.h"

namespace ds::fid {

FidInceptionEImpl::FidInceptionEImpl(int64_t in, PoolBranch pool) : pool_(pool) {
    const ConvShape oneByThree{384, 384, {1, 3}, {1, 1}, {0, 1}};
    const ConvShape threeByOne{384, 384, {3, 1}, {1, 1}, {1, 0}};
    branch1x1 = register_module("branch1x1", BasicConv2d(ConvShape{in, 320}));
    branch3x3_1 = register_module("branch3x3_1", BasicConv2d(ConvShape{in, 384}));
    branch3x3_2a = register_module("branch3x3_2a", BasicConv2d(oneByThree));
    branch3x3_2b = register_module("branch3x3_2b", BasicConv2d(threeByOne));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(ConvShape{in, 448}));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(ConvShape{448, 384, {3, 3}, {1, 1}, {1, 1}}));
    branch3x3dbl_3a = register_module("branch3x3dbl_3a", BasicConv2d(oneByThree));
    branch3x3dbl_3b = register_module("branch3x3dbl_3b", BasicConv2d(threeByOne));
    branch_pool = register_module("branch_pool", BasicConv2d(ConvShape{in, 192}));
}

void FidInceptionEImpl::prepare() {
    // A max pool does not commute with the convolution: that branch keeps its own.
    if (pool_ == PoolBranch::Average)
        heads_ = PointwiseBranches({branch1x1, branch3x3_1, branch3x3dbl_1, branch_pool}, /*lastIsAvgPooled=*/true);
    else heads_ = PointwiseBranches({branch1x1, branch3x3_1, branch3x3dbl_1}, /*lastIsAvgPooled=*/false);
}

torch::Tensor FidInceptionEImpl::forward(const torch::Tensor& x) const {
    const auto h = heads_(x);
    const auto b3x3 = torch::cat({branch3x3_2a->forward(h[1]), branch3x3_2b->forward(h[1])}, 1);
    const auto dbl = branch3x3dbl_2->forward(h[2]);
    const auto b3x3dbl = torch::cat({branch3x3dbl_3a->forward(dbl), branch3x3dbl_3b->forward(dbl)}, 1);
    const auto pool =
        pool_ == PoolBranch::Average ? h[3] : branch_pool->forward(torch::max_pool2d(x, {3, 3}, {1, 1}, {1, 1}));
    return torch::cat({h[0], b3x3, b3x3dbl, pool}, 1);
}

}  // namespace ds::fid
