// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_unet.h"

#include <cmath>

namespace ds::flow {

FlowUnetImpl::FlowUnetImpl(const FlowUnetConfig& config) : config_(config) {
    config_.validate();
    const int64_t ch = config_.ch, temb = config_.timeEmbeddingDim();
    inputProj_ =
        register_module("input_proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(config_.channels, ch, 3).padding(1)));
    timeProj_ = register_module("time_proj", torch::nn::Sequential(torch::nn::Linear(ch, temb), torch::nn::SiLU(),
                                                                   torch::nn::Linear(temb, temb)));
    // Registration order is g4vrel/CFM's: down and up exist before make_paths() fills them, mid
    // is registered by it, final after it.
    down_ = register_module("down", torch::nn::ModuleList());
    up_ = register_module("up", torch::nn::ModuleList());
    const int levels = config_.numLevels();
    for (int level = 0; level < levels; ++level) downLevels_.push_back(makeLevel(down_, level, true));
    for (int level = levels - 1; level >= 0; --level) upLevels_.push_back(makeLevel(up_, level, false));

    const int64_t deepest = ch * config_.chMul.back();
    mid_ = register_module("mid", torch::nn::ModuleList());
    mid1_ = FlowResBlock(blockOptions(deepest, deepest, true));
    mid2_ = FlowResBlock(blockOptions(deepest, deepest, false));
    mid_->push_back(mid1_);
    mid_->push_back(mid2_);

    final_ = register_module(
        "final",
        torch::nn::Sequential(torch::nn::GroupNorm(config_.groups, 2 * ch), torch::nn::SiLU(),
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * ch, config_.channels, 3).padding(1))));
    // Last, so an unconditional network draws its initial weights exactly as before.
    if (config_.numClasses > 0)
        labelEmb_ = register_module("label_emb", torch::nn::Embedding(config_.numClasses, temb));
}

FlowResBlockOptions FlowUnetImpl::blockOptions(int64_t dimIn, int64_t dimOut, bool attention) const {
    FlowResBlockOptions o;
    o.dimIn = dimIn;
    o.dimOut = dimOut;
    o.embDim = config_.timeEmbeddingDim();
    o.scaleShift = config_.scaleShift;
    o.groups = config_.groups;
    o.dropout = config_.dropout;
    o.attention = attention;
    return o;
}

FlowUnetImpl::Level FlowUnetImpl::makeLevel(torch::nn::ModuleList& list, int level, bool down) {
    const int64_t dim = int64_t(config_.ch) * config_.chMul[level];
    const bool attention = config_.attChannels[level] == 1;
    const int64_t dimIn = down ? dim : 2 * dim;  // up blocks see [state, skip]
    Level l;
    l.first = FlowResBlock(blockOptions(dimIn, dim, attention));
    l.second = FlowResBlock(blockOptions(dimIn, dim, attention));
    auto modules = torch::nn::ModuleList(l.first, l.second);
    const bool lastDown = down && level == config_.numLevels() - 1;
    const bool firstUp = !down && level == 0;
    if (!lastDown && !firstUp) {
        const int64_t next = int64_t(config_.ch) * config_.chMul[down ? level + 1 : level - 1];
        l.resample =
            FlowResample(down ? FlowResampleImpl::Direction::Down : FlowResampleImpl::Direction::Up, dim, next);
        modules->push_back(l.resample);
    }
    list->push_back(modules);
    return l;
}

void FlowUnetImpl::setChannelsLast(bool on) {
    channelsLast_ = on;
    const auto format = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::NoGradGuard noGrad;
    for (auto& p : parameters(true))
        if (p.dim() == 4) p.set_data(p.contiguous(format));
}

torch::Tensor FlowUnetImpl::timestepEmbedding(const torch::Tensor& t, int64_t dim) {
    const int64_t half = dim / 2;
    auto exponent =
        -std::log(10000.0) * torch::arange(half, t.options().dtype(torch::kFloat)) / static_cast<double>(half);
    auto args = t.to(torch::kFloat).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
    auto emb = torch::cat({torch::sin(args), torch::cos(args)}, -1);
    if (dim % 2 == 1) emb = torch::nn::functional::pad(emb, torch::nn::functional::PadFuncOptions({0, 1, 0, 0}));
    return emb;
}

torch::Tensor FlowUnetImpl::forward(const torch::Tensor& xIn, const torch::Tensor& t, const torch::Tensor& classes) {
    TORCH_CHECK(t.dim() == 1 && t.size(0) == xIn.size(0), "t must have shape (batch,)");
    auto emb = timeProj_->forward(timestepEmbedding(t, config_.ch));
    if (classes.defined() != bool(labelEmb_))
        throw Error(labelEmb_ ? "this U-Net is class-conditional: it needs a class per image"
                              : "this U-Net is unconditional: it takes no classes");
    if (labelEmb_) {
        if (classes.dim() != 1 || classes.size(0) != xIn.size(0)) throw Error("the classes must be one per image");
        emb = emb + labelEmb_->forward(classes.to(torch::kLong));
    }
    auto x = inputProj_->forward(xIn);
    if (channelsLast_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto h = x;
    std::vector<torch::Tensor> skips;
    for (auto& level : downLevels_) {
        h = level.first->forward(h, emb);
        skips.push_back(h);
        h = level.second->forward(h, emb);
        skips.push_back(h);
        if (level.resample) h = level.resample->forward(h);
    }
    h = mid2_->forward(mid1_->forward(h, emb), emb);
    auto popSkip = [&skips] {
        auto s = skips.back();
        skips.pop_back();
        return s;
    };
    for (auto& level : upLevels_) {
        h = level.first->forward(torch::cat({h, popSkip()}, 1), emb);
        h = level.second->forward(torch::cat({h, popSkip()}, 1), emb);
        if (level.resample) h = level.resample->forward(h);
    }
    return final_->forward(torch::cat({h, x}, 1)).contiguous();
}

}  // namespace ds::flow
