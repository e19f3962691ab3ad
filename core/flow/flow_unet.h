// SPDX-License-Identifier: GPL-3.0-or-later
// g4vrel/CFM's flow-matching U-Net (`unet.Unet`): a velocity field v(x, t)
// for t in [0, 1], with identical state_dict names, shapes and order, so that g4vrel/CFM's
// checkpoints load as they are and ours load in g4vrel/CFM's code.
//
// Layout per level (down.i / up.i, up.0 the deepest): two FlowResBlocks and a resampling conv
// (none after the last down level and the first up level); up blocks take the concatenation
// of the state and a skip; mid = [ResBlock+attention, ResBlock]; the head normalises the
// concatenation of the last state and the input projection.
#pragma once
#include "core/flow/flow_res_block.h"
#include "core/flow/flow_resample.h"
#include "core/flow/flow_unet_config.h"

#include <torch/torch.h>

#include <vector>

namespace ds::flow {

class FlowUnetImpl : public torch::nn::Module {
public:
    explicit FlowUnetImpl(const FlowUnetConfig& config);  // validates the config

    // x: (B, channels, H, W), H and W multiples of downsampleFactor(); t: (B) raw times in [0, 1].
    // classes: (B) labels, needed exactly when the config has num_classes (ds::Error otherwise).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& classes = {});

    const FlowUnetConfig& config() const { return config_; }

    // Runs the convolutions on channels-last (NHWC) activations and weights, as UnetImpl does:
    // about 2x faster with Debian's LibTorch on a CPU. Same results up to float rounding.
    void setChannelsLast(bool on);

    // g4vrel/CFM's get_timestep_embedding: [sin(t f_k), cos(t f_k)], f_k = 10000^(-k / (dim/2)).
    static torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim);

private:
    struct Level {
        FlowResBlock first{nullptr};
        FlowResBlock second{nullptr};
        FlowResample resample{nullptr};  // null where the level has none
    };

    FlowResBlockOptions blockOptions(int64_t dimIn, int64_t dimOut, bool attention) const;
    Level makeLevel(torch::nn::ModuleList& list, int level, bool down);

    FlowUnetConfig config_;
    bool channelsLast_ = false;
    torch::nn::Conv2d inputProj_{nullptr};
    torch::nn::Sequential timeProj_{nullptr};
    torch::nn::ModuleList down_{nullptr};
    torch::nn::ModuleList up_{nullptr};
    torch::nn::ModuleList mid_{nullptr};
    torch::nn::Sequential final_{nullptr};
    torch::nn::Embedding labelEmb_{nullptr};  // num_classes > 0 only
    std::vector<Level> downLevels_;
    std::vector<Level> upLevels_;  // up_ order: the deepest level first
    FlowResBlock mid1_{nullptr}, mid2_{nullptr};
};
TORCH_MODULE(FlowUnet);

}  // namespace ds::flow
