// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/openai_unet_config.h"

#include "core/checkpoint/state_dict.h"
#include "core/util/error.h"
#include "core/util/tuple_text.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ds::nn {

namespace {

const char* pythonBool(bool b) { return b ? "True" : "False"; }

std::string block(const char* list, int index) { return std::string(list) + "." + std::to_string(index) + "."; }

// The number of blocks of a ModuleList in the keys: one past the highest index that has a key
// (an average-pooling Downsample has none, but it is never a list's last block).
int blockCount(const checkpoint::StateDict& sd, const std::string& list) {
    int count = 0;
    const std::string prefix = list + ".";
    for (const auto& [name, t] : sd.entries()) {
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        count = std::max(count, std::stoi(name.substr(prefix.size())) + 1);
    }
    return count;
}

bool hasKeys(const checkpoint::StateDict& sd, const std::string& prefix) {
    return std::any_of(sd.entries().begin(), sd.entries().end(),
                       [&](const auto& e) { return e.first.compare(0, prefix.size(), prefix) == 0; });
}

bool isResBlock(const checkpoint::StateDict& sd, const std::string& prefix) {
    return sd.contains(prefix + "in_layers.2.weight");
}

}  // namespace

bool OpenAiUnetConfig::attentionAt(int ds) const {
    return std::find(attentionDs.begin(), attentionDs.end(), ds) != attentionDs.end();
}

int OpenAiUnetConfig::headsFor(int channels) const {
    if (numHeadChannels > 0) {
        if (channels % numHeadChannels != 0)
            throw Error("attention at " + std::to_string(channels) + " channels: not a multiple of --head-channels " +
                        std::to_string(numHeadChannels) +
                        "; give the heads the model was trained with (--heads N, or --head-channels N)");
        return channels / numHeadChannels;
    }
    if (numHeads < 1) throw Error("--heads must be positive");
    if (channels % numHeads != 0)
        throw Error("attention at " + std::to_string(channels) + " channels does not split into --heads " +
                    std::to_string(numHeads));
    return numHeads;
}

void OpenAiUnetConfig::validate() const {
    if (modelChannels < 1 || modelChannels % 2 != 0) throw Error("model_channels must be positive and even");
    if (channelMult.empty()) throw Error("channel_mult must have at least one level");
    if (numResBlocks < 1) throw Error("num_res_blocks must be at least 1");
    if (numClasses < 0) throw Error("num_classes must not be negative");
    if (inChannels < 1 || outChannels < 1) throw Error("the image channels must be positive");
    for (int level = 0; level < numLevels(); ++level) {
        const double exact = channelMult[level] * modelChannels;
        const int channels = channelsAt(level);
        if (channelMult[level] <= 0 || exact != std::floor(exact))
            throw Error("channel_mult " + std::to_string(channelMult[level]) +
                        " x model_channels is not a whole channel count");
        if (channels % kGroups != 0)
            throw Error("GroupNorm32 needs multiples of 32 channels: level " + std::to_string(level) + " has " +
                        std::to_string(channels));
        if (attentionAt(1 << level) || level == numLevels() - 1) headsFor(channels);
    }
}

std::string OpenAiUnetConfig::summary() const {
    std::ostringstream os;
    os << "UNetModel(model_channels=" << modelChannels << ", channel_mult=" << tupleText(channelMult, ",")
       << ", num_res_blocks=" << numResBlocks << ", attention_ds=" << tupleText(attentionDs, ",");
    if (numHeadChannels > 0) os << ", num_head_channels=" << numHeadChannels;
    else os << ", num_heads=" << numHeads;
    os << ", use_scale_shift_norm=" << pythonBool(useScaleShiftNorm)
       << ", resblock_updown=" << pythonBool(resblockUpdown)
       << ", use_new_attention_order=" << pythonBool(useNewAttentionOrder);
    if (!convResample) os << ", conv_resample=False";
    if (numClasses > 0) os << ", num_classes=" << numClasses;
    os << ", in_channels=" << inChannels << ")";
    return os.str();
}

nlohmann::json OpenAiUnetConfig::toJson() const {
    nlohmann::json j{{"in_channels", inChannels},
                     {"model_channels", modelChannels},
                     {"out_channels", outChannels},
                     {"num_res_blocks", numResBlocks},
                     {"channel_mult", channelMult},
                     {"attention_ds", attentionDs},
                     {"num_heads", numHeads},
                     {"num_head_channels", numHeadChannels},
                     {"use_scale_shift_norm", useScaleShiftNorm},
                     {"resblock_updown", resblockUpdown},
                     {"use_new_attention_order", useNewAttentionOrder},
                     {"conv_resample", convResample},
                     {"dropout", dropout}};
    if (numClasses > 0) j["num_classes"] = numClasses;  // unconditional configs keep their old form
    return j;
}

OpenAiUnetConfig OpenAiUnetConfig::fromJson(const nlohmann::json& j) {
    OpenAiUnetConfig c;
    c.inChannels = j.value("in_channels", c.inChannels);
    c.modelChannels = j.value("model_channels", c.modelChannels);
    c.outChannels = j.value("out_channels", c.outChannels);
    c.numResBlocks = j.value("num_res_blocks", c.numResBlocks);
    c.channelMult = j.value("channel_mult", c.channelMult);
    c.attentionDs = j.value("attention_ds", c.attentionDs);
    c.numHeads = j.value("num_heads", c.numHeads);
    c.numHeadChannels = j.value("num_head_channels", c.numHeadChannels);
    c.useScaleShiftNorm = j.value("use_scale_shift_norm", c.useScaleShiftNorm);
    c.resblockUpdown = j.value("resblock_updown", c.resblockUpdown);
    c.useNewAttentionOrder = j.value("use_new_attention_order", c.useNewAttentionOrder);
    c.convResample = j.value("conv_resample", c.convResample);
    c.dropout = j.value("dropout", c.dropout);
    if (j.contains("num_classes") && j["num_classes"].is_number_integer()) c.numClasses = j["num_classes"].get<int>();
    return c;
}

bool OpenAiUnetConfig::looksLikeOpenAiUnet(const checkpoint::StateDict& sd) {
    return sd.contains("time_embed.0.weight") && sd.contains("input_blocks.0.0.weight") && sd.contains("out.2.weight");
}

OpenAiUnetConfig OpenAiUnetConfig::inferFromStateDict(const checkpoint::StateDict& sd,
                                                      const OpenAiUnetConfig& defaults) {
    if (!looksLikeOpenAiUnet(sd)) throw Error("not OpenAI's UNetModel (no time_embed/input_blocks/out keys)");
    OpenAiUnetConfig c = defaults;
    c.numClasses = sd.contains("label_emb.weight") ? static_cast<int>(sd.shape("label_emb.weight")[0]) : 0;
    c.modelChannels = static_cast<int>(sd.shape("time_embed.0.weight")[1]);
    c.inChannels = static_cast<int>(sd.shape("input_blocks.0.0.weight")[1]);
    c.outChannels = static_cast<int>(sd.shape("out.2.weight")[0]);
    if (c.outChannels != c.inChannels)
        throw Error("the UNetModel outputs " + std::to_string(c.outChannels) + " channels for " +
                    std::to_string(c.inChannels) + " in (learn_sigma): not a velocity field");

    const int inputs = blockCount(sd, "input_blocks"), outputs = blockCount(sd, "output_blocks");
    if (inputs < 2 || inputs != outputs)
        throw Error("input_blocks (" + std::to_string(inputs) + ") and output_blocks (" + std::to_string(outputs) +
                    ") do not pair up as UNetModel's do");
    // num_res_blocks: the blocks before the first downsampling. A Downsample is an average pool
    // (no keys) or a strided conv (op.*); with resblock_updown it is a ResBlock like the others,
    // so the first output block holding a second ResBlock (the upsampling one) tells instead.
    c.numResBlocks = inputs - 1;  // one level, unless a resampling block says otherwise
    c.resblockUpdown = false;
    c.convResample = true;
    bool found = false;
    for (int i = 1; i < inputs && !found; ++i) {
        const std::string p = block("input_blocks", i);
        if (!hasKeys(sd, p) || sd.contains(p + "0.op.weight")) {
            c.numResBlocks = i - 1;
            c.convResample = sd.contains(p + "0.op.weight");
            found = true;
        }
    }
    for (int j = 0; j < outputs && !found; ++j) {
        const std::string p = block("output_blocks", j);
        if (isResBlock(sd, p + "1.") || isResBlock(sd, p + "2.")) {
            c.numResBlocks = j;
            c.resblockUpdown = true;
            found = true;
        }
    }
    if (c.numResBlocks < 1 || inputs % (c.numResBlocks + 1) != 0)
        throw Error("cannot tell num_res_blocks from " + std::to_string(inputs) + " input blocks");
    const int levels = inputs / (c.numResBlocks + 1);

    c.channelMult.clear();
    c.attentionDs.clear();
    for (int level = 0; level < levels; ++level) {
        const std::string first = block("input_blocks", 1 + level * (c.numResBlocks + 1));
        if (!isResBlock(sd, first + "0.")) throw Error(first + "0: expected a ResBlock");
        const int64_t channels = sd.shape(first + "0.in_layers.2.weight")[0];
        c.channelMult.push_back(double(channels) / c.modelChannels);
        if (sd.contains(first + "1.qkv.weight")) c.attentionDs.push_back(1 << level);
        if (level == 0) c.useScaleShiftNorm = sd.shape(first + "0.emb_layers.1.weight")[0] == 2 * channels;
    }
    return c;
}

}  // namespace ds::nn
