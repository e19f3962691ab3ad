// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception_b.h"

namespace ds::fid {

FidInceptionBImpl::FidInceptionBImpl(int64_t in) {
    branch3x3 = register_module("branch3x3", BasicConv2d(ConvShape{in, 384, {3, 3}, {2, 2}}));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", BasicConv2d(ConvShape{in, 64}));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", BasicConv2d(ConvShape{64, 96, {3, 3}, {1, 1}, {1, 1}}));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", BasicConv2d(ConvShape{96, 96, {3, 3}, {2, 2}}));
}

torch::Tensor FidInceptionBImpl::forward(const torch::Tensor& x) const {
    const auto b3x3 = branch3x3->forward(x);
    const auto b3x3dbl = branch3x3dbl_3->forward(branch3x3dbl_2->forward(branch3x3dbl_1->forward(x)));
    const auto pool = torch::max_pool2d(x, {3, 3}, {2, 2});
    return torch::cat({b3x3, b3x3dbl, pool}, 1);
}

}  // namespace ds::fid
