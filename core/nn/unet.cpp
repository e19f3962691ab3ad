// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/unet.h"

#include "core/nn/full_attention.h"
#include "core/nn/learned_sinusoidal_pos_emb.h"
#include "core/nn/linear_attention.h"
#include "core/nn/sinusoidal_pos_emb.h"
#include "core/util/error.h"

namespace ds::nn {

namespace {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
    return Conv2d(Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

// Upstream Downsample: 'b c (h p1) (w p2) -> b (c p1 p2) h w' (pixel unshuffle), then 1x1 conv.
torch::nn::Sequential downsample(int64_t dim, int64_t dimOut) {
    return torch::nn::Sequential(torch::nn::PixelUnshuffle(torch::nn::PixelUnshuffleOptions(2)),
                                 conv(dim * 4, dimOut, 1));
}

// Upstream Upsample: nearest x2, then 3x3 conv.
torch::nn::Sequential upsample(int64_t dim, int64_t dimOut) {
    return torch::nn::Sequential(
        torch::nn::Upsample(
            torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)),
        conv(dim, dimOut, 3));
}

template <typename Holder>
UnetLayer layerOf(Holder holder) {
    return UnetLayer{holder.ptr(), [holder](const torch::Tensor& x) mutable { return holder->forward(x); }};
}

}  // namespace

UnetImpl::UnetImpl(const UnetConfig& config) : config_(config.resolved()) {
    const auto& c = config_;
    const int64_t inputChannels = c.channels * (c.selfCondition ? 2 : 1);
    const int64_t initDim = c.effectiveInitDim();
    initConv_ = register_module("init_conv", conv(inputChannels, initDim, 7));

    std::vector<int64_t> dims{initDim};
    for (int m : c.dimMults) dims.push_back(static_cast<int64_t>(c.dim) * m);
    const int64_t timeDim = c.dim * 4;

    const bool learned = c.learnedSinusoidalCond || c.randomFourierFeatures;
    timeMlp_ = torch::nn::Sequential();
    if (learned) timeMlp_->push_back(LearnedSinusoidalPosEmb(c.learnedSinusoidalDim, c.randomFourierFeatures));
    else timeMlp_->push_back(SinusoidalPosEmb(c.dim, c.sinusoidalPosEmbTheta));
    const int64_t fourierDim = learned ? c.learnedSinusoidalDim + 1 : c.dim;
    timeMlp_->push_back(torch::nn::Linear(fourierDim, timeDim));
    timeMlp_->push_back(torch::nn::GELU());
    timeMlp_->push_back(torch::nn::Linear(timeDim, timeDim));
    register_module("time_mlp", timeMlp_);

    // Upstream creates both lists before filling them: state_dict order is downs, ups, mid_*.
    const int stages = c.numStages();
    downs_ = register_module("downs", torch::nn::ModuleList());
    ups_ = register_module("ups", torch::nn::ModuleList());
    for (int i = 0; i < stages; ++i) {
        const int64_t dimIn = dims[i], dimOut = dims[i + 1];
        const bool last = i == stages - 1;
        Layer resample = last ? layerOf(conv(dimIn, dimOut, 3)) : layerOf(downsample(dimIn, dimOut));
        downStages_.push_back(makeStage(downs_, dimIn, dimIn, dimIn, c.fullAttn[i], c.attnHeads[i], c.attnDimHead[i],
                                        std::move(resample)));
    }

    const int64_t midDim = dims.back();
    midBlock1_ = register_module("mid_block1", ResnetBlock(midDim, midDim, timeDim, c.dropout));
    midAttn_ = makeAttention(true, midDim, c.attnHeads.back(), c.attnDimHead.back());
    register_module("mid_attn", midAttn_.module);
    midBlock2_ = register_module("mid_block2", ResnetBlock(midDim, midDim, timeDim, c.dropout));

    for (int i = stages - 1; i >= 0; --i) {
        const int64_t dimIn = dims[i], dimOut = dims[i + 1];
        const bool last = i == 0;
        Layer resample = last ? layerOf(conv(dimOut, dimIn, 3)) : layerOf(upsample(dimOut, dimIn));
        upStages_.push_back(makeStage(ups_, dimOut + dimIn, dimOut, dimOut, c.fullAttn[i], c.attnHeads[i],
                                      c.attnDimHead[i], std::move(resample)));
    }

    finalResBlock_ = register_module("final_res_block", ResnetBlock(initDim * 2, initDim, timeDim, c.dropout));
    finalConv_ = register_module("final_conv", Conv2d(Conv2dOptions(initDim, c.effectiveOutDim(), 1)));
    // Last, so an unconditional network draws its initial weights exactly as before.
    if (c.numClasses > 0) labelEmb_ = register_module("label_emb", torch::nn::Embedding(c.numClasses, timeDim));
}

UnetImpl::Layer UnetImpl::makeAttention(bool full, int64_t dim, int64_t heads, int64_t dimHead) {
    return full ? layerOf(FullAttention(dim, heads, dimHead)) : layerOf(LinearAttention(dim, heads, dimHead));
}

UnetImpl::Stage UnetImpl::makeStage(torch::nn::ModuleList& list, int64_t blockIn, int64_t blockOut, int64_t attnDim,
                                    bool full, int64_t heads, int64_t dimHead, Layer resample) {
    const int64_t timeDim = config_.dim * 4;
    Stage s;
    s.block1 = ResnetBlock(blockIn, blockOut, timeDim, config_.dropout);
    s.block2 = ResnetBlock(blockIn, blockOut, timeDim, config_.dropout);
    s.attn = makeAttention(full, attnDim, heads, dimHead);
    s.resample = std::move(resample);
    auto stage = torch::nn::ModuleList(s.block1, s.block2);
    stage->push_back(s.attn.module);
    stage->push_back(s.resample.module);
    list->push_back(stage);
    return s;
}

void UnetImpl::setChannelsLast(bool on) {
    channelsLast_ = on;
    const auto format = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::NoGradGuard noGrad;
    for (auto& p : parameters(true))
        if (p.dim() == 4) p.set_data(p.contiguous(format));
}

torch::Tensor UnetImpl::forward(const torch::Tensor& xIn, const torch::Tensor& time,
                                const std::optional<torch::Tensor>& selfCond, const torch::Tensor& classes) {
    const int64_t factor = config_.downsampleFactor();
    if (xIn.dim() != 4 || xIn.size(1) != config_.channels)
        throw Error("Unet expects (B, " + std::to_string(config_.channels) + ", H, W) input");
    if (xIn.size(2) % factor != 0 || xIn.size(3) % factor != 0)
        throw Error("image size " + std::to_string(xIn.size(2)) + "x" + std::to_string(xIn.size(3)) +
                    " is not divisible by the Unet's downsample factor " + std::to_string(factor));

    torch::Tensor x = xIn;
    if (config_.selfCondition) x = torch::cat({selfCond ? *selfCond : torch::zeros_like(xIn), xIn}, 1);
    x = initConv_->forward(x);
    if (channelsLast_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor r = x;
    torch::Tensor t = timeMlp_->forward(time);
    if (classes.defined() != bool(labelEmb_))
        throw Error(labelEmb_ ? "this Unet is class-conditional: it needs a class per image"
                              : "this Unet is unconditional: it takes no classes");
    if (labelEmb_) {
        if (classes.dim() != 1 || classes.size(0) != xIn.size(0)) throw Error("the classes must be one per image");
        t = t + labelEmb_->forward(classes.to(torch::kLong));
    }

    std::vector<torch::Tensor> skips;
    for (auto& s : downStages_) {
        x = s.block1->forward(x, t);
        skips.push_back(x);
        x = s.block2->forward(x, t);
        x = s.attn.forward(x) + x;
        skips.push_back(x);
        x = s.resample.forward(x);
    }
    x = midBlock1_->forward(x, t);
    x = midAttn_.forward(x) + x;
    x = midBlock2_->forward(x, t);
    for (auto& s : upStages_) {
        x = s.block1->forward(torch::cat({x, skips.back()}, 1), t);
        skips.pop_back();
        x = s.block2->forward(torch::cat({x, skips.back()}, 1), t);
        skips.pop_back();
        x = s.attn.forward(x) + x;
        x = s.resample.forward(x);
    }
    x = finalResBlock_->forward(torch::cat({x, r}, 1), t);
    return finalConv_->forward(x);
}

}  // namespace ds::nn
