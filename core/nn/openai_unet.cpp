// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/openai_unet.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::nn {

OpenAiUnetImpl::OpenAiUnetImpl(const OpenAiUnetConfig& config) : config_(config) {
    config_.validate();
    const int64_t mc = config_.modelChannels, embDim = config_.timeEmbeddingDim();
    timeEmbed_ = register_module("time_embed", torch::nn::Sequential(torch::nn::Linear(mc, embDim), torch::nn::SiLU(),
                                                                     torch::nn::Linear(embDim, embDim)));
    if (config_.numClasses > 0)
        labelEmb_ = register_module("label_emb", torch::nn::Embedding(config_.numClasses, embDim));
    inputBlocks_ = register_module("input_blocks", torch::nn::ModuleList());

    int64_t ch = config_.channelsAt(0);
    const int64_t inputChannels = ch;
    TimestepBlock stem;
    stem->add(torch::nn::Conv2d(torch::nn::Conv2dOptions(config_.inChannels, ch, 3).padding(1)));
    inputs_.push_back(stem);
    std::vector<int64_t> skipChannels{ch};
    int ds = 1;
    for (int level = 0; level < config_.numLevels(); ++level) {
        for (int i = 0; i < config_.numResBlocks; ++i) {
            TimestepBlock block;
            block->add(resBlock(ch, config_.channelsAt(level)));
            ch = config_.channelsAt(level);
            if (config_.attentionAt(ds)) block->add(attention(ch));
            inputs_.push_back(block);
            skipChannels.push_back(ch);
        }
        if (level != config_.numLevels() - 1) {
            inputs_.push_back(resampling(ch, Resampling::Down));
            skipChannels.push_back(ch);
            ds *= 2;
        }
    }
    for (const auto& block : inputs_) inputBlocks_->push_back(block);

    middleBlock_ = register_module("middle_block", TimestepBlock());
    middleBlock_->add(resBlock(ch, ch));
    middleBlock_->add(attention(ch));
    middleBlock_->add(resBlock(ch, ch));

    outputBlocks_ = register_module("output_blocks", torch::nn::ModuleList());
    for (int level = config_.numLevels() - 1; level >= 0; --level) {
        for (int i = 0; i <= config_.numResBlocks; ++i) {
            TimestepBlock block;
            const int64_t skip = skipChannels.back();
            skipChannels.pop_back();
            block->add(resBlock(ch + skip, config_.channelsAt(level)));
            ch = config_.channelsAt(level);
            if (config_.attentionAt(ds)) block->add(attention(ch));
            if (level > 0 && i == config_.numResBlocks) {
                if (config_.resblockUpdown) block->add(resBlock(ch, ch, Resampling::Up));
                else block->add(OpenAiResample(ch, Resampling::Up, config_.convResample));
                ds /= 2;
            }
            outputs_.push_back(block);
        }
    }
    for (const auto& block : outputs_) outputBlocks_->push_back(block);

    out_ = register_module(
        "out", torch::nn::Sequential(
                   torch::nn::GroupNorm(torch::nn::GroupNormOptions(OpenAiUnetConfig::kGroups, ch)), torch::nn::SiLU(),
                   torch::nn::Conv2d(torch::nn::Conv2dOptions(inputChannels, config_.outChannels, 3).padding(1))));
}

OpenAiResBlock OpenAiUnetImpl::resBlock(int64_t in, int64_t out, Resampling resampling) const {
    return OpenAiResBlock(in, config_.timeEmbeddingDim(), out, config_.useScaleShiftNorm, config_.dropout, resampling);
}

OpenAiAttentionBlock OpenAiUnetImpl::attention(int64_t channels) const {
    return OpenAiAttentionBlock(channels, config_.headsFor(int(channels)), config_.useNewAttentionOrder);
}

TimestepBlock OpenAiUnetImpl::resampling(int64_t channels, Resampling direction) const {
    TimestepBlock block;
    if (config_.resblockUpdown) block->add(resBlock(channels, channels, direction));
    else block->add(OpenAiResample(channels, direction, config_.convResample));
    return block;
}

torch::Tensor OpenAiUnetImpl::timestepEmbedding(const torch::Tensor& t, int64_t dim) {
    const int64_t half = dim / 2;
    const auto freqs =
        torch::exp(-std::log(10000.0) * torch::arange(half, torch::dtype(torch::kFloat32)) / double(half))
            .to(t.device());
    const auto args = t.unsqueeze(1).to(torch::kFloat32) * freqs.unsqueeze(0);
    auto embedding = torch::cat({torch::cos(args), torch::sin(args)}, -1);
    if (dim % 2) embedding = torch::cat({embedding, torch::zeros_like(embedding.narrow(1, 0, 1))}, -1);
    return embedding;
}

void OpenAiUnetImpl::setChannelsLast(bool on) {
    channelsLast_ = on;
    const auto format = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::NoGradGuard noGrad;
    for (auto& p : parameters(true))
        if (p.dim() == 4) p.set_data(p.contiguous(format));
}

torch::Tensor OpenAiUnetImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) {
    if (y.defined() != (config_.numClasses > 0))
        throw Error("must specify labels if and only if the UNetModel is class-conditional");
    const torch::Tensor times = t.dim() == 0 ? t.repeat({x.size(0)}) : t;
    torch::Tensor emb = timeEmbed_->forward(timestepEmbedding(times, config_.modelChannels));
    if (y.defined()) {
        if (y.dim() != 1 || y.size(0) != x.size(0)) throw Error("the labels must be one per image");
        emb = emb + labelEmb_->forward(y);  // added to the time MLP's output, as upstream
    }
    std::vector<torch::Tensor> skips;
    skips.reserve(inputs_.size());
    torch::Tensor h = channelsLast_ ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
    for (auto& block : inputs_) {
        h = block->forward(h, emb);
        skips.push_back(h);
    }
    h = middleBlock_->forward(h, emb);
    for (auto& block : outputs_) {
        h = block->forward(torch::cat({h, skips.back()}, 1), emb);
        skips.pop_back();
    }
    return out_->forward(h);
}

}  // namespace ds::nn
