// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/checkpoint/unet_architecture.h"

#include "core/util/error.h"

#include <string>

namespace ds::checkpoint {

namespace {

std::string stageKey(const char* list, int stage, const std::string& rest) {
    return std::string(list) + "." + std::to_string(stage) + "." + rest;
}

int countStages(const StateDict& unet) {
    int n = 0;
    while (unet.contains(stageKey("downs", n, "0.block1.proj.weight"))) ++n;
    return n;
}

struct AttentionShape {
    bool full = false;
    int heads = 0;
    int dimHead = 0;
};

// LinearAttention keeps to_out as Sequential(conv, RMSNorm) and mem_kv as (2, h, d, n);
// Attention keeps a bare to_out conv and mem_kv as (2, h, n, d).
AttentionShape attentionShape(const StateDict& unet, const std::string& prefix) {
    AttentionShape a;
    a.full = unet.contains(prefix + "to_out.weight");
    const auto mem = unet.shape(prefix + "mem_kv");
    if (mem.size() != 4) throw Error("unexpected shape of " + prefix + "mem_kv");
    a.heads = static_cast<int>(mem[1]);
    a.dimHead = static_cast<int>(a.full ? mem[3] : mem[2]);
    return a;
}

}  // namespace

bool looksLikeLegacyLucidrainsUnet(const StateDict& unet) {
    for (const auto& [name, t] : unet.entries()) {
        if (name.find(".fn.fn.") != std::string::npos || name.find("block1.norm.weight") != std::string::npos)
            return true;
    }
    return false;
}

nn::UnetConfig inferUnetConfig(const StateDict& unet) {
    if (looksLikeLegacyLucidrainsUnet(unet))
        throw Error(
            "a denoising_diffusion_pytorch 1.x Unet (GroupNorm blocks, fn.fn. wrappers); "
            "only the 2.x layout is supported");
    if (!unet.contains("init_conv.weight") || !unet.contains("final_conv.weight") ||
        !unet.contains("time_mlp.1.weight"))
        throw Error("not a lucidrains Unet (no init_conv/time_mlp/final_conv weights)");

    nn::UnetConfig c;
    const auto initConv = unet.shape("init_conv.weight");    // (init_dim, in_channels, 7, 7)
    const auto finalConv = unet.shape("final_conv.weight");  // (out_dim, init_dim, 1, 1)
    const auto timeMlp1 = unet.shape("time_mlp.1.weight");   // (4 dim, fourier_dim)
    c.dim = static_cast<int>(timeMlp1[0] / 4);
    c.initDim = static_cast<int>(initConv[0]);
    const int inChannels = static_cast<int>(initConv[1]);
    const int outDim = static_cast<int>(finalConv[0]);
    if (inChannels == 2 * outDim) {
        c.selfCondition = true;
        c.channels = outDim;
    } else if (outDim == 2 * inChannels) {
        c.learnedVariance = true;
        c.channels = inChannels;
    } else {
        c.channels = inChannels;
        c.outDim = outDim != inChannels ? outDim : 0;
    }
    if (const auto* w = unet.find("time_mlp.0.weights")) {
        c.learnedSinusoidalCond = true;
        c.learnedSinusoidalDim = static_cast<int>(w->size(0) * 2);
    }

    const int stages = countStages(unet);
    if (stages == 0) throw Error("not a lucidrains Unet (no downs.0 stage)");
    c.dimMults.clear();
    c.fullAttn.clear();
    c.attnHeads.clear();
    c.attnDimHead.clear();
    for (int i = 0; i < stages; ++i) {
        const bool last = i == stages - 1;
        const auto resample = unet.shape(stageKey("downs", i, last ? "3.weight" : "3.1.weight"));
        if (resample[0] % c.dim != 0) throw Error("stage " + std::to_string(i) + " width is not a multiple of dim");
        c.dimMults.push_back(static_cast<int>(resample[0] / c.dim));
        const auto attn = attentionShape(unet, stageKey("downs", i, "2."));
        c.fullAttn.push_back(attn.full);
        c.attnHeads.push_back(attn.heads);
        c.attnDimHead.push_back(attn.dimHead);
    }
    if (c.initDim == c.dim) c.initDim = 0;
    return c;
}

}  // namespace ds::checkpoint
