// SPDX-License-Identifier: GPL-3.0-or-later
// Constructor options of OpenAI's guided-diffusion UNetModel as torchcfm ships it
// (torchcfm/models/unet/unet.py, UNetModel and its UNetModelWrapper: the network of torchcfm's
// CIFAR-10 and MNIST examples), with its argument names. Most options can be read back from a
// state_dict (inferFromStateDict); the attention heads and the attention order cannot (the
// weights have the same shapes either way), so they come from the caller.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ds::checkpoint {
class StateDict;  // torch-free here: the training configuration, which ui/ sees, holds this
}  // namespace ds::checkpoint

namespace ds::nn {

struct OpenAiUnetConfig {
    int inChannels = 3;
    int modelChannels = 128;
    int outChannels = 3;
    int numResBlocks = 2;
    std::vector<double> channelMult{1, 2, 2, 2};  // torchcfm's 512 px recipe starts at 0.5
    std::vector<int> attentionDs{2};              // downsample rates with attention (UNetModel's attention_resolutions)
    // Heads: numHeadChannels > 0 fixes the channels per head (heads = channels / it), else
    // numHeads heads. torchcfm's CIFAR-10 recipe: num_heads=4, num_head_channels=64.
    int numHeads = 4;
    int numHeadChannels = 64;
    bool useScaleShiftNorm = false;
    bool resblockUpdown = false;
    bool useNewAttentionOrder = false;
    bool convResample = true;
    double dropout = 0.0;
    // Class-conditional (UNetModel's num_classes with class_cond): label_emb, num_classes rows
    // of the time embedding's width, added to the time MLP's output. 0: unconditional.
    int numClasses = 0;

    // GroupNorm32(32, channels) everywhere: every channel count must be a multiple of 32.
    static constexpr int kGroups = 32;

    int numLevels() const { return static_cast<int>(channelMult.size()); }
    int channelsAt(int level) const { return static_cast<int>(channelMult[level] * modelChannels); }
    int timeEmbeddingDim() const { return modelChannels * 4; }
    int downsampleFactor() const { return 1 << (numLevels() - 1); }
    bool attentionAt(int ds) const;
    int headsFor(int channels) const;  // throws ds::Error when the channels do not split evenly

    // Throws ds::Error naming the problem ("attention at 96 channels: not a multiple of
    // --head-channels 64", "GroupNorm32 needs multiples of 32 channels: level 0 has 48").
    void validate() const;
    // "UNetModel(model_channels=128, channel_mult=(1,2,2,2), num_res_blocks=2, attention_ds=(2), ...)"
    std::string summary() const;

    nlohmann::json toJson() const;  // UNetModel's argument names
    static OpenAiUnetConfig fromJson(const nlohmann::json& j);

    // Everything but the heads, the attention order and dropout (taken from `defaults`) from a
    // state_dict without wrapper prefixes (num_classes from label_emb). Throws ds::Error when
    // the keys are not UNetModel's, or the model is one this program cannot use for a flow
    // (learn_sigma: twice the input channels out).
    static OpenAiUnetConfig inferFromStateDict(const checkpoint::StateDict& sd, const OpenAiUnetConfig& defaults);
    // True when the keys look like UNetModel (time_embed.0, input_blocks.0.0, out.2).
    static bool looksLikeOpenAiUnet(const checkpoint::StateDict& sd);
};

}  // namespace ds::nn
