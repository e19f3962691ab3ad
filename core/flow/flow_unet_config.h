// SPDX-License-Identifier: GPL-3.0-or-later
// Constructor options of g4vrel/CFM's flow-matching U-Net (`unet.Unet`), with
// the same defaults. Everything but the GroupNorm group count can be read back from a
// state_dict's tensor shapes (inferFromStateDict); the group count is a user choice (--groups).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ds::checkpoint {
class StateDict;  // torch-free here: the training configuration, which ui/ sees, holds this
}  // namespace ds::checkpoint

namespace ds::flow {

struct FlowUnetConfig {
    int ch = 128;
    std::vector<int> chMul{1, 2, 2, 2};
    std::vector<int> attChannels{0, 1, 1, 0};  // 1: self-attention after each block of that level
    int groups = 32;                           // GroupNorm groups of the residual blocks and the output head
    double dropout = 0.1;
    bool scaleShift = true;  // time embedding as (scale, shift) of block2's norm, else added
    int channels = 3;        // image channels in and out (g4vrel/CFM hard-codes RGB)
    // Not g4vrel/CFM's: our class-conditional flows (issue 18) add `label_emb`, an
    // Embedding(num_classes, 4 ch) added to time_proj's output (the embedding every block
    // sees), as torchcfm's UNetModel adds its label_emb. 0: unconditional.
    int numClasses = 0;

    // Fixed by g4vrel/CFM's AttentionBlock, which its Unet builds with the defaults: 4 heads,
    // GroupNorm(32). They are not arguments upstream, so they are not options here either.
    static constexpr int kAttentionHeads = 4;
    static constexpr int kAttentionGroups = 32;

    int numLevels() const { return static_cast<int>(chMul.size()); }
    int timeEmbeddingDim() const { return ch * 4; }
    int downsampleFactor() const { return 1 << (numLevels() - 1); }

    // Throws ds::Error when the options cannot build the network, e.g. when `groups` does not
    // divide the channel count of a GroupNorm ("--groups 12 does not divide the 16 channels ...").
    void validate() const;
    // "FlowUnet(ch=16, ch_mul=(1,2), att_channels=(0,1), groups=8, dropout=0, scale_shift=True)"
    std::string summary() const;

    nlohmann::json toJson() const;  // upstream argument names
    static FlowUnetConfig fromJson(const nlohmann::json& j);

    // ch, ch_mul, att_channels, scale_shift and channels from the shapes of a state_dict (keys
    // without wrapper prefixes); groups and dropout are taken from `defaults`. Throws ds::Error
    // when the keys are not those of g4vrel/CFM's U-Net.
    static FlowUnetConfig inferFromStateDict(const checkpoint::StateDict& sd, const FlowUnetConfig& defaults);
    // True when the keys look like g4vrel/CFM's U-Net (input_proj, time_proj, down.0.0.*).
    static bool looksLikeFlowUnet(const checkpoint::StateDict& sd);
};

}  // namespace ds::flow
