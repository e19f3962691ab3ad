// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/basic_conv2d.h"

#include "core/util/error.h"

namespace ds::fid {

namespace {
constexpr double kBatchNormEps = 0.001;  // torchvision's Inception3 (TensorFlow's value)
}

BasicConv2dImpl::BasicConv2dImpl(const ConvShape& shape) : shape_(shape) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(shape.in, shape.out, shape.kernel)
                                                         .stride(shape.stride)
                                                         .padding(shape.padding)
                                                         .bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(shape.out).eps(kBatchNormEps)));
}

void BasicConv2dImpl::fold(torch::MemoryFormat format) {
    folded_ = FoldedConv(conv->weight, bn->weight, bn->bias, bn->running_mean, bn->running_var, kBatchNormEps,
                         shape_.stride, shape_.padding, format);
    isFolded_ = true;
}

const FoldedConv& BasicConv2dImpl::folded() const {
    if (!isFolded_) throw Error("BasicConv2d used before fold()");
    return folded_;
}

torch::Tensor BasicConv2dImpl::forward(const torch::Tensor& x) const { return folded()(x).relu_(); }

}  // namespace ds::fid
