// SPDX-License-Identifier: GPL-3.0-or-later
// Constructor options of lucidrains' Unet (denoising_diffusion_pytorch 2.x), with the same
// defaults. Per-stage options (attention heads, head size, full attention) may be given as one
// value for every stage; resolved() expands them to one value per stage.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ds::nn {

struct UnetConfig {
    int dim = 64;
    int initDim = 0;  // 0: dim
    int outDim = 0;   // 0: channels (x2 with learned variance)
    std::vector<int> dimMults{1, 2, 4, 8};
    int channels = 3;
    bool selfCondition = false;
    bool learnedVariance = false;
    bool learnedSinusoidalCond = false;
    bool randomFourierFeatures = false;
    int learnedSinusoidalDim = 16;
    double sinusoidalPosEmbTheta = 10000.0;
    double dropout = 0.0;
    std::vector<int> attnDimHead{32};
    std::vector<int> attnHeads{4};
    std::vector<bool> fullAttn;  // empty: full attention only in the last stage
    // Not lucidrains': our class-conditional flows on this backbone (issue 18) add `label_emb`,
    // an Embedding(num_classes, 4 dim) added to the time MLP's output, as torchcfm's UNetModel
    // adds its label_emb. 0: unconditional (lucidrains' Unet, key for key).
    int numClasses = 0;

    int numStages() const { return static_cast<int>(dimMults.size()); }
    int effectiveInitDim() const { return initDim > 0 ? initDim : dim; }
    int effectiveOutDim() const { return outDim > 0 ? outDim : channels * (learnedVariance ? 2 : 1); }
    int downsampleFactor() const { return 1 << (numStages() - 1); }

    // Per-stage vectors expanded to numStages(); throws ds::Error when inconsistent.
    UnetConfig resolved() const;
    // A one-line human summary, e.g. "Unet(dim=32, dim_mults=(1,2,4), channels=1, ...)".
    std::string summary() const;

    nlohmann::json toJson() const;  // upstream argument names
    static UnetConfig fromJson(const nlohmann::json& j);
};

}  // namespace ds::nn
