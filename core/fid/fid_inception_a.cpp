// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception_a.h"

namespace ds::fid {

FidInceptionAImpl::FidInceptionAImpl(int64_t in, int64_t poolFeatures) {
    branch1x1 = register_module("branch1x1", BasicConv2d(ConvShape{in, 64}));
    branch5x5_1 = register_module("branch5x5_1", BasicConv2d(ConvShape{in, 48}));
    branch5x5_2 = register_module("branch5x5_2", BasicConv2d(ConvShape{48, 64, {5, 5}, {1, 1}, {2, 2}}));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(ConvShape{in, 64}));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(ConvShape{64, 96, {3, 3}, {1, 1}, {1, 1}}));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(ConvShape{96, 96, {3, 3}, {1, 1}, {1, 1}}));
    branch_pool = register_module("branch_pool", BasicConv2d(ConvShape{in, poolFeatures}));
}

void FidInceptionAImpl::prepare() {
    heads_ = PointwiseBranches({branch1x1, branch5x5_1, branch3x3dbl_1, branch_pool}, /*lastIsAvgPooled=*/true);
}

torch::Tensor FidInceptionAImpl::forward(const torch::Tensor& x) const {
    const auto h = heads_(x);
    const auto b5x5 = branch5x5_2->forward(h[1]);
    const auto b3x3dbl = branch3x3dbl_3->forward(branch3x3dbl_2->forward(h[2]));
    return torch::cat({h[0], b5x5, b3x3dbl, h[3]}, 1);
}

}  // namespace ds::fid
