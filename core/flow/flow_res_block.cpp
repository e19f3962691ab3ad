// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_res_block.h"

#include "core/flow/flow_unet_config.h"

#include <cmath>

namespace ds::flow {

namespace {

// GroupNorm, SiLU, Dropout (Identity upstream when p = 0: no parameters either way), Conv3x3.
torch::nn::Sequential normActConv(int64_t dimIn, int64_t dimOut, int64_t groups, double dropout) {
    return torch::nn::Sequential(torch::nn::GroupNorm(groups, dimIn), torch::nn::SiLU(), torch::nn::Dropout(dropout),
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(dimIn, dimOut, 3).padding(1)));
}

}  // namespace

FlowResBlockImpl::FlowResBlockImpl(const FlowResBlockOptions& o) : scaleShift_(o.scaleShift) {
    if (o.dimIn != o.dimOut)
        skip_ = register_module("skip_connection", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.dimIn, o.dimOut, 1)));
    block1_ = register_module("block1", normActConv(o.dimIn, o.dimOut, o.groups, 0.0));
    block2_ = register_module("block2", normActConv(o.dimOut, o.dimOut, o.groups, o.dropout));
    // Upstream this is ConditioningBlock.proj = Sequential(SiLU, Linear): the names nest one deeper.
    auto cond = std::make_shared<torch::nn::Module>();
    condProj_ = cond->register_module(
        "proj",
        torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(o.embDim, o.scaleShift ? 2 * o.dimOut : o.dimOut)));
    register_module("cond_block", cond);
    if (o.attention)
        attn_ = register_module(
            "attn", FlowAttention(o.dimOut, FlowUnetConfig::kAttentionHeads, FlowUnetConfig::kAttentionGroups));
}

torch::Tensor FlowResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
    const auto cond = condProj_->forward(emb).unsqueeze(-1).unsqueeze(-1);
    auto h = block1_->forward(x);
    if (scaleShift_) {
        const auto scaleShift = cond.chunk(2, 1);
        // block2 with the modulation between its GroupNorm and the rest (SiLU, Dropout, Conv).
        h = block2_->ptr<torch::nn::GroupNormImpl>(0)->forward(h) * (1 + scaleShift[0]) + scaleShift[1];
        h = block2_->ptr<torch::nn::DropoutImpl>(2)->forward(torch::silu(h));
        h = block2_->ptr<torch::nn::Conv2dImpl>(3)->forward(h);
    } else {
        h = block2_->forward(h + cond);
    }
    h = ((skip_ ? skip_->forward(x) : x) + h) / std::sqrt(2.0);
    return attn_ ? attn_->forward(h) : h;
}

}  // namespace ds::flow
