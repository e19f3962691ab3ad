// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_unet_config.h"

#include "core/checkpoint/state_dict.h"
#include "core/util/error.h"
#include "core/util/tuple_text.h"

#include <sstream>

namespace ds::flow {

namespace {

void checkDivides(int groups, int channels, const std::string& where, const char* option) {
    if (channels % groups != 0)
        throw Error(std::string(option) + " " + std::to_string(groups) + " does not divide the " +
                    std::to_string(channels) + " channels of " + where +
                    "; give the group count the model was trained with (g4vrel/CFM's default is 32)");
}

}  // namespace

void FlowUnetConfig::validate() const {
    if (ch < 1) throw Error("ch must be positive");
    if (chMul.empty()) throw Error("ch_mul must have at least one level");
    if (attChannels.size() != chMul.size())
        throw Error("att_channels must have one entry per level of ch_mul (" + std::to_string(chMul.size()) + ")");
    if (chMul.front() != 1) throw Error("ch_mul must start with 1: the output head concatenates the input projection");
    if (ch % 2 != 0) throw Error("ch must be even (the sinusoidal time embedding has ch entries)");
    if (groups < 1) throw Error("--groups must be positive");
    if (channels < 1) throw Error("channels must be positive");
    if (numClasses < 0) throw Error("num_classes must not be negative");
    for (int level = 0; level < numLevels(); ++level) {
        const int dim = ch * chMul[level];
        const std::string name = "level " + std::to_string(level);
        checkDivides(groups, dim, name + " (down blocks)", "--groups");
        checkDivides(groups, 2 * dim, name + " (up blocks)", "--groups");
        if (attChannels[level] == 1 || level == numLevels() - 1) {
            if (dim % kAttentionHeads != 0)
                throw Error(name + ": " + std::to_string(dim) +
                            " channels are not divisible by the attention's 4 heads");
            checkDivides(kAttentionGroups, dim, name + " (attention)", "the attention's GroupNorm");
        }
    }
    checkDivides(groups, 2 * ch, "the output head", "--groups");
}

std::string FlowUnetConfig::summary() const {
    std::ostringstream os;
    os << "FlowUnet(ch=" << ch << ", ch_mul=" << tupleText(chMul, ",")
       << ", att_channels=" << tupleText(attChannels, ",") << ", groups=" << groups << ", dropout=" << dropout
       << ", scale_shift=" << (scaleShift ? "True" : "False");
    if (channels != 3) os << ", channels=" << channels;
    if (numClasses > 0) os << ", num_classes=" << numClasses;
    os << ")";
    return os.str();
}

nlohmann::json FlowUnetConfig::toJson() const {
    nlohmann::json j{
        {"ch", ch},           {"ch_mul", chMul},           {"att_channels", attChannels}, {"groups", groups},
        {"dropout", dropout}, {"scale_shift", scaleShift}, {"channels", channels}};
    if (numClasses > 0) j["num_classes"] = numClasses;  // unconditional configs keep their old form
    return j;
}

FlowUnetConfig FlowUnetConfig::fromJson(const nlohmann::json& j) {
    FlowUnetConfig c;
    c.ch = j.value("ch", c.ch);
    c.chMul = j.value("ch_mul", c.chMul);
    c.attChannels = j.value("att_channels", c.attChannels);
    c.groups = j.value("groups", c.groups);
    c.dropout = j.value("dropout", c.dropout);
    c.scaleShift = j.value("scale_shift", c.scaleShift);
    c.channels = j.value("channels", c.channels);
    c.numClasses = j.value("num_classes", 0);
    return c;
}

bool FlowUnetConfig::looksLikeFlowUnet(const checkpoint::StateDict& sd) {
    return sd.contains("input_proj.weight") && sd.contains("time_proj.0.weight") &&
           sd.contains("down.0.0.block1.3.weight") && sd.contains("final.2.weight");
}

FlowUnetConfig FlowUnetConfig::inferFromStateDict(const checkpoint::StateDict& sd, const FlowUnetConfig& defaults) {
    if (!looksLikeFlowUnet(sd))
        throw Error("not g4vrel/CFM's flow-matching U-Net (no input_proj/time_proj/down.0.0 keys)");
    FlowUnetConfig c = defaults;
    const auto inputProj = sd.shape("input_proj.weight");  // (ch, channels, 3, 3)
    c.ch = static_cast<int>(inputProj[0]);
    c.channels = static_cast<int>(inputProj[1]);
    c.chMul.clear();
    c.attChannels.clear();
    for (int level = 0;; ++level) {
        const std::string prefix = "down." + std::to_string(level) + ".0.";
        if (!sd.contains(prefix + "block1.3.weight")) break;
        const int64_t dim = sd.shape(prefix + "block1.3.weight")[0];
        if (dim % c.ch != 0)
            throw Error(prefix + "block1.3.weight: " + std::to_string(dim) + " channels are not a multiple of ch " +
                        std::to_string(c.ch));
        c.chMul.push_back(static_cast<int>(dim / c.ch));
        c.attChannels.push_back(sd.contains(prefix + "attn.Q.weight") ? 1 : 0);
    }
    // Scale and shift: the conditioning projection makes 2 values per channel, else 1.
    const int64_t condOut = sd.shape("down.0.0.cond_block.proj.1.weight")[0];
    c.scaleShift = condOut == 2 * int64_t(c.ch) * c.chMul[0];
    c.numClasses = sd.contains("label_emb.weight") ? static_cast<int>(sd.shape("label_emb.weight")[0]) : 0;
    return c;
}

}  // namespace ds::flow
