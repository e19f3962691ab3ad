// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/openai_res_block.h"

#include "core/nn/openai_unet_config.h"

namespace ds::nn {

namespace F = torch::nn::functional;

namespace {

torch::nn::GroupNorm groupNorm32(int64_t channels) {
    return torch::nn::GroupNorm(torch::nn::GroupNormOptions(OpenAiUnetConfig::kGroups, channels));
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}

}  // namespace

OpenAiResBlockImpl::OpenAiResBlockImpl(int64_t channels, int64_t embChannels, int64_t outChannels, bool scaleShift,
                                       double dropout, Resampling resampling)
    : scaleShift_(scaleShift), resampling_(resampling) {
    inNorm_ = groupNorm32(channels);
    inConv_ = conv3x3(channels, outChannels);
    register_module("in_layers", torch::nn::Sequential(inNorm_, torch::nn::SiLU(), inConv_));
    embLinear_ = torch::nn::Linear(embChannels, scaleShift ? 2 * outChannels : outChannels);
    register_module("emb_layers", torch::nn::Sequential(torch::nn::SiLU(), embLinear_));
    outNorm_ = groupNorm32(outChannels);
    dropout_ = torch::nn::Dropout(dropout);
    outConv_ = conv3x3(outChannels, outChannels);
    register_module("out_layers", torch::nn::Sequential(outNorm_, torch::nn::SiLU(), dropout_, outConv_));
    if (outChannels != channels)
        skip_ = register_module("skip_connection", torch::nn::Conv2d(channels, outChannels, 1));
}

torch::Tensor OpenAiResBlockImpl::resample(const torch::Tensor& x, Resampling resampling) {
    switch (resampling) {
    case Resampling::Up:
        return F::interpolate(x, F::InterpolateFuncOptions()
                                     .scale_factor(std::vector<double>{2.0, 2.0})
                                     .mode(torch::kNearest)
                                     .recompute_scale_factor(false));
    case Resampling::Down: return F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
    case Resampling::None: break;
    }
    return x;
}

torch::Tensor OpenAiResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
    torch::Tensor h = torch::silu(inNorm_->forward(x));
    h = inConv_->forward(resample(h, resampling_));
    const torch::Tensor skipInput = resample(x, resampling_);
    torch::Tensor embOut = embLinear_->forward(torch::silu(emb)).unsqueeze(-1).unsqueeze(-1);
    if (scaleShift_) {
        const auto parts = embOut.chunk(2, 1);
        h = outNorm_->forward(h) * (1 + parts[0]) + parts[1];
    } else {
        h = outNorm_->forward(h + embOut);
    }
    h = outConv_->forward(dropout_->forward(torch::silu(h)));
    return (skip_ ? skip_->forward(skipInput) : skipInput) + h;
}

}  // namespace ds::nn
