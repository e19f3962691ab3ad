// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/pointwise_branches.h"

#include "core/util/error.h"

namespace ds::fid {

torch::Tensor fidAvgPool3x3(const torch::Tensor& x) {
    return torch::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
}

PointwiseBranches::PointwiseBranches(const std::vector<BasicConv2d>& convs, bool lastIsAvgPooled)
    : lastIsAvgPooled_(lastIsAvgPooled) {
    std::vector<const FoldedConv*> folded;
    for (const auto& c : convs) {
        if (c->folded().weight().size(2) != 1 || c->folded().weight().size(3) != 1)
            throw Error("PointwiseBranches takes 1x1 convolutions only");
        folded.push_back(&c->folded());
        channels_.push_back(c->folded().outChannels());
    }
    merged_ = FoldedConv::concatenate(folded);
}

std::vector<torch::Tensor> PointwiseBranches::operator()(const torch::Tensor& x) const {
    torch::Tensor y = merged_(x);
    const size_t plain = channels_.size() - (lastIsAvgPooled_ ? 1 : 0);
    int64_t plainChannels = 0;
    for (size_t i = 0; i < plain; ++i) plainChannels += channels_[i];
    y.narrow(1, 0, plainChannels).relu_();  // one in-place pass; the branches are views of it

    std::vector<torch::Tensor> out;
    int64_t start = 0;
    for (size_t i = 0; i < channels_.size(); ++i) {
        torch::Tensor part = y.narrow(1, start, channels_[i]);
        start += channels_[i];
        out.push_back(i < plain ? part : fidAvgPool3x3(part).relu_());
    }
    return out;
}

}  // namespace ds::fid
