// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_inception.h"

#include "core/util/error.h"

namespace ds::fid {

FidInceptionImpl::FidInceptionImpl() {
    Conv2d_1a_3x3 = register_module("Conv2d_1a_3x3", BasicConv2d(ConvShape{3, 32, {3, 3}, {2, 2}}));
    Conv2d_2a_3x3 = register_module("Conv2d_2a_3x3", BasicConv2d(ConvShape{32, 32, {3, 3}}));
    Conv2d_2b_3x3 = register_module("Conv2d_2b_3x3", BasicConv2d(ConvShape{32, 64, {3, 3}, {1, 1}, {1, 1}}));
    Conv2d_3b_1x1 = register_module("Conv2d_3b_1x1", BasicConv2d(ConvShape{64, 80}));
    Conv2d_4a_3x3 = register_module("Conv2d_4a_3x3", BasicConv2d(ConvShape{80, 192, {3, 3}}));
    Mixed_5b = register_module("Mixed_5b", FidInceptionA(192, 32));
    Mixed_5c = register_module("Mixed_5c", FidInceptionA(256, 64));
    Mixed_5d = register_module("Mixed_5d", FidInceptionA(288, 64));
    Mixed_6a = register_module("Mixed_6a", FidInceptionB(288));
    Mixed_6b = register_module("Mixed_6b", FidInceptionC(768, 128));
    Mixed_6c = register_module("Mixed_6c", FidInceptionC(768, 160));
    Mixed_6d = register_module("Mixed_6d", FidInceptionC(768, 160));
    Mixed_6e = register_module("Mixed_6e", FidInceptionC(768, 192));
    Mixed_7a = register_module("Mixed_7a", FidInceptionD(768));
    Mixed_7b = register_module("Mixed_7b", FidInceptionE(1280, PoolBranch::Average));
    Mixed_7c = register_module("Mixed_7c", FidInceptionE(2048, PoolBranch::Max));
    fc = register_module("fc", torch::nn::Linear(2048, 1008));
}

void FidInceptionImpl::prepareForInference(bool channelsLast) {
    eval();
    format_ = channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    for (const auto& module : modules(/*include_self=*/false))
        if (auto* conv = dynamic_cast<BasicConv2dImpl*>(module.get())) conv->fold(format_);
    for (auto* a : {&Mixed_5b, &Mixed_5c, &Mixed_5d}) (*a)->prepare();
    for (auto* c : {&Mixed_6b, &Mixed_6c, &Mixed_6d, &Mixed_6e}) (*c)->prepare();
    Mixed_7a->prepare();
    Mixed_7b->prepare();
    Mixed_7c->prepare();
    prepared_ = true;
}

bool FidInceptionImpl::isSupportedDims(int dims) { return dims == 64 || dims == 192 || dims == 768 || dims == 2048; }

torch::Tensor FidInceptionImpl::block0(const torch::Tensor& x) const {
    auto h = Conv2d_2b_3x3->forward(Conv2d_2a_3x3->forward(Conv2d_1a_3x3->forward(x)));
    return torch::max_pool2d(h, {3, 3}, {2, 2});
}

torch::Tensor FidInceptionImpl::block1(const torch::Tensor& x) const {
    return torch::max_pool2d(Conv2d_4a_3x3->forward(Conv2d_3b_1x1->forward(x)), {3, 3}, {2, 2});
}

torch::Tensor FidInceptionImpl::block2(const torch::Tensor& x) const {
    auto h = Mixed_6a->forward(Mixed_5d->forward(Mixed_5c->forward(Mixed_5b->forward(x))));
    return Mixed_6e->forward(Mixed_6d->forward(Mixed_6c->forward(Mixed_6b->forward(h))));
}

torch::Tensor FidInceptionImpl::block3(const torch::Tensor& x) const {
    return Mixed_7c->forward(Mixed_7b->forward(Mixed_7a->forward(x)));
}

torch::Tensor FidInceptionImpl::resizeToInput(const torch::Tensor& images) {
    namespace F = torch::nn::functional;
    return F::interpolate(images, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{kInputSize, kInputSize})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
}

torch::Tensor FidInceptionImpl::features(const torch::Tensor& images, int dims) const {
    if (!isSupportedDims(dims))
        throw Error("unsupported FID dims " + std::to_string(dims) + " (expected 64, 192, 768 or 2048)");
    if (!prepared_) throw Error("FidInception used before prepareForInference()");
    if (images.dim() != 4 || images.size(1) != 3) throw Error("FID Inception expects (N, 3, H, W) images");

    auto x = resizeToInput(images).mul_(2).sub_(1).contiguous(format_);

    x = block0(x);
    if (dims > 64) x = block1(x);
    if (dims > 192) x = block2(x);
    if (dims > 768) x = block3(x);
    return x.mean({2, 3});  // adaptive_avg_pool2d to 1x1, flattened
}

}  // namespace ds::fid
