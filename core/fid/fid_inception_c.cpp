// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception_c.h"

namespace ds::fid {

namespace {
// The factorised 7x7 convolutions: 1x7 and 7x1 with "same" padding.
ConvShape oneBySeven(int64_t in, int64_t out) { return ConvShape{in, out, {1, 7}, {1, 1}, {0, 3}}; }
ConvShape sevenByOne(int64_t in, int64_t out) { return ConvShape{in, out, {7, 1}, {1, 1}, {3, 0}}; }
}  // namespace

FidInceptionCImpl::FidInceptionCImpl(int64_t in, int64_t c7) {
    branch1x1 = register_module("branch1x1", BasicConv2d(ConvShape{in, 192}));
    branch7x7_1 = register_module("branch7x7_1", BasicConv2d(ConvShape{in, c7}));
    branch7x7_2 = register_module("branch7x7_2", BasicConv2d(oneBySeven(c7, c7)));
    branch7x7_3 = register_module("branch7x7_3", BasicConv2d(sevenByOne(c7, 192)));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", BasicConv2d(ConvShape{in, c7}));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", BasicConv2d(sevenByOne(c7, c7)));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", BasicConv2d(oneBySeven(c7, c7)));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", BasicConv2d(sevenByOne(c7, c7)));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", BasicConv2d(oneBySeven(c7, 192)));
    branch_pool = register_module("branch_pool", BasicConv2d(ConvShape{in, 192}));
}

void FidInceptionCImpl::prepare() {
    heads_ = PointwiseBranches({branch1x1, branch7x7_1, branch7x7dbl_1, branch_pool}, /*lastIsAvgPooled=*/true);
}

torch::Tensor FidInceptionCImpl::forward(const torch::Tensor& x) const {
    const auto h = heads_(x);
    const auto b7x7 = branch7x7_3->forward(branch7x7_2->forward(h[1]));
    auto b7x7dbl = branch7x7dbl_2->forward(h[2]);
    b7x7dbl = branch7x7dbl_5->forward(branch7x7dbl_4->forward(branch7x7dbl_3->forward(b7x7dbl)));
    return torch::cat({h[0], b7x7, b7x7dbl, h[3]}, 1);
}

}  // namespace ds::fid
