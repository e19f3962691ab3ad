// SPDX-License-Identifier: GPL-3.0-or-later
// OpenAI guided-diffusion's TimestepEmbedSequential: one entry of UNetModel's input_blocks,
// middle_block or output_blocks, whose layers (registered "0", "1", ...) are run in order, the
// ResBlocks with the time embedding.
#pragma once
#include "core/nn/openai_attention_block.h"
#include "core/nn/openai_res_block.h"
#include "core/nn/openai_resample.h"

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace ds::nn {

class TimestepBlockImpl : public torch::nn::Module {
public:
    void add(OpenAiResBlock block);
    void add(OpenAiAttentionBlock block);
    void add(OpenAiResample block);
    void add(torch::nn::Conv2d conv);

    torch::Tensor forward(torch::Tensor x, const torch::Tensor& emb);

private:
    std::string nextName() const { return std::to_string(layers_.size()); }

    std::vector<std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>> layers_;
};
TORCH_MODULE(TimestepBlock);

}  // namespace ds::nn
