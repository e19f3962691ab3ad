// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/timestep_block.h"

namespace ds::nn {

void TimestepBlockImpl::add(OpenAiResBlock block) {
    register_module(nextName(), block);
    layers_.push_back(
        [impl = block.ptr()](const torch::Tensor& x, const torch::Tensor& emb) { return impl->forward(x, emb); });
}

void TimestepBlockImpl::add(OpenAiAttentionBlock block) {
    register_module(nextName(), block);
    layers_.push_back([impl = block.ptr()](const torch::Tensor& x, const torch::Tensor&) { return impl->forward(x); });
}

void TimestepBlockImpl::add(OpenAiResample block) {
    register_module(nextName(), block);
    layers_.push_back([impl = block.ptr()](const torch::Tensor& x, const torch::Tensor&) { return impl->forward(x); });
}

void TimestepBlockImpl::add(torch::nn::Conv2d conv) {
    register_module(nextName(), conv);
    layers_.push_back([impl = conv.ptr()](const torch::Tensor& x, const torch::Tensor&) { return impl->forward(x); });
}

torch::Tensor TimestepBlockImpl::forward(torch::Tensor x, const torch::Tensor& emb) {
    for (const auto& layer : layers_) x = layer(x, emb);
    return x;
}

}  // namespace ds::nn
