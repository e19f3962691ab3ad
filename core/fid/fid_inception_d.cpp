// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception_d.h"

namespace ds::fid {

FidInceptionDImpl::FidInceptionDImpl(int64_t in) {
    branch3x3_1 = register_module("branch3x3_1", BasicConv2d(ConvShape{in, 192}));
    branch3x3_2 = register_module("branch3x3_2", BasicConv2d(ConvShape{192, 320, {3, 3}, {2, 2}}));
    branch7x7x3_1 = register_module("branch7x7x3_1", BasicConv2d(ConvShape{in, 192}));
    branch7x7x3_2 = register_module("branch7x7x3_2", BasicConv2d(ConvShape{192, 192, {1, 7}, {1, 1}, {0, 3}}));
    branch7x7x3_3 = register_module("branch7x7x3_3", BasicConv2d(ConvShape{192, 192, {7, 1}, {1, 1}, {3, 0}}));
    branch7x7x3_4 = register_module("branch7x7x3_4", BasicConv2d(ConvShape{192, 192, {3, 3}, {2, 2}}));
}

void FidInceptionDImpl::prepare() {
    heads_ = PointwiseBranches({branch3x3_1, branch7x7x3_1}, /*lastIsAvgPooled=*/false);
}

torch::Tensor FidInceptionDImpl::forward(const torch::Tensor& x) const {
    const auto h = heads_(x);
    const auto b3x3 = branch3x3_2->forward(h[0]);
    const auto b7x7x3 = branch7x7x3_4->forward(branch7x7x3_3->forward(branch7x7x3_2->forward(h[1])));
    const auto pool = torch::max_pool2d(x, {3, 3}, {2, 2});
    return torch::cat({b3x3, b7x7x3, pool}, 1);
}

}  // namespace ds::fid
