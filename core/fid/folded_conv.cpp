// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/folded_conv.h"

#include "core/util/error.h"

namespace ds::fid {

FoldedConv::FoldedConv(const torch::Tensor& convWeight, const torch::Tensor& bnWeight, const torch::Tensor& bnBias,
                       const torch::Tensor& runningMean, const torch::Tensor& runningVar, double eps,
                       torch::IntArrayRef stride, torch::IntArrayRef padding, torch::MemoryFormat format)
    : stride_(stride.vec()), padding_(padding.vec()) {
    torch::NoGradGuard noGrad;
    const auto scale = bnWeight.to(torch::kDouble) / (runningVar.to(torch::kDouble) + eps).sqrt();
    weight_ =
        (convWeight.to(torch::kDouble) * scale.view({-1, 1, 1, 1})).to(convWeight.scalar_type()).contiguous(format);
    bias_ = (bnBias.to(torch::kDouble) - runningMean.to(torch::kDouble) * scale).to(convWeight.scalar_type());
}

FoldedConv FoldedConv::concatenate(const std::vector<const FoldedConv*>& convs) {
    if (convs.empty()) throw Error("FoldedConv::concatenate: nothing to concatenate");
    FoldedConv out;
    out.stride_ = convs.front()->stride_;
    out.padding_ = convs.front()->padding_;
    std::vector<torch::Tensor> weights, biases;
    for (const FoldedConv* c : convs) {
        const bool compatible = c->stride_ == out.stride_ && c->padding_ == out.padding_ &&
                                c->weight_.sizes().slice(1) == convs.front()->weight_.sizes().slice(1);
        if (!compatible)
            throw Error("FoldedConv::concatenate: convolutions differ in input, kernel, stride or padding");
        weights.push_back(c->weight_);
        biases.push_back(c->bias_);
    }
    out.weight_ = torch::cat(weights).contiguous(convs.front()->weight_.suggest_memory_format());
    out.bias_ = torch::cat(biases);
    return out;
}

torch::Tensor FoldedConv::operator()(const torch::Tensor& x) const {
    return torch::conv2d(x, weight_, bias_, stride_, padding_);
}

}  // namespace ds::fid
