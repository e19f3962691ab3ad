// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' class-conditional Unet for classifier-free guidance
// (denoising_diffusion_pytorch/classifier_free_guidance.py, 2.1.1), with its state_dict names:
// classes_emb, null_classes_emb, classes_mlp; ResnetBlocks conditioned on cat(time, class)
// embeddings; Residual(PreNorm(LinearAttention)) at every stage and full attention in the
// middle; strided-convolution downsampling. A different network from the main Unet (nn::Unet).
#pragma once
#include "core/nn/conv_block.h"
#include "core/nn/rms_norm.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <optional>
#include <utility>
#include <vector>

namespace ds::checkpoint {
class StateDict;
}

namespace ds::nn {

struct CfgUnetConfig {
    int dim = 64;
    int numClasses = 10;
    double condDropProb = 0.5;  // training: the probability a sample's class becomes the null class
    int initDim = 0;            // 0: dim
    int outDim = 0;             // 0: channels (x2 with learned variance)
    std::vector<int> dimMults{1, 2, 4, 8};
    int channels = 3;
    bool learnedVariance = false;
    int attnDimHead = 32;  // the middle attention (the linear attentions are 4 x 32)
    int attnHeads = 4;

    int resolvedInitDim() const { return initDim > 0 ? initDim : dim; }
    int resolvedOutDim() const { return outDim > 0 ? outDim : channels * (learnedVariance ? 2 : 1); }
    int downsampleFactor() const { return 1 << (int(dimMults.size()) - 1); }
    void validate() const;          // throws ds::Error
    nlohmann::json toJson() const;  // upstream argument names
    static CfgUnetConfig fromJson(const nlohmann::json& j);
    // Everything the shapes tell (dim, classes, mults, channels, init/out dims); the attention
    // heads of the middle block from to_qkv and to_out (heads x dim_head is known, the split is
    // assumed upstream's 4 x 32 unless heads x 32 does not divide it).
    static CfgUnetConfig inferFromStateDict(const checkpoint::StateDict& unet);
};

// The guidance of forward_with_cond_scale: the conditional output pushed away from the null
// class's by (W - 1) times their difference, with the difference's component along the
// conditional output removed (all but keepParallelFrac of it; in float64 as upstream), then
// rescaled towards the conditional output's standard deviation (rescaledPhi, Lin et al. 2023).
struct GuidanceOptions {
    double condScale = 1.0;  // W; 1: the conditional model alone
    double rescaledPhi = 0.0;
    bool removeParallelComponent = true;
    double keepParallelFrac = 0.0;
};

class CfgUnetImpl : public torch::nn::Module {
public:
    explicit CfgUnetImpl(const CfgUnetConfig& config);

    // x (B, C, H, W), time (B), classes (B) int64. keepClass (B) bool: false uses the null
    // class embedding for that row (training's condition dropout); absent: every row keeps it.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time, const torch::Tensor& classes,
                          const std::optional<torch::Tensor>& keepClass = std::nullopt);
    // The null class for every row.
    torch::Tensor forwardNull(const torch::Tensor& x, const torch::Tensor& time, const torch::Tensor& classes);
    // forward_with_cond_scale: (guided output, null output), the two evaluated as one batch of
    // 2B; at W = 1 the conditional output and an undefined null output (one evaluation of B).
    std::pair<torch::Tensor, torch::Tensor> forwardWithCondScale(const torch::Tensor& x, const torch::Tensor& time,
                                                                 const torch::Tensor& classes,
                                                                 const GuidanceOptions& g);

    const CfgUnetConfig& config() const { return config_; }

private:
    struct ResnetBlockCfg;  // the typed stages behind downs/ups
    torch::Tensor run(const torch::Tensor& x, const torch::Tensor& time, const torch::Tensor& classesEmb);

    CfgUnetConfig config_;
    torch::nn::Conv2d initConv_{nullptr};
    torch::nn::Sequential timeMlp_{nullptr};
    torch::nn::Embedding classesEmb_{nullptr};
    torch::Tensor nullClassesEmb_;
    torch::nn::Sequential classesMlp_{nullptr};
    torch::nn::ModuleList downs_{nullptr};
    torch::nn::ModuleList ups_{nullptr};
    std::shared_ptr<torch::nn::Module> midBlock1_, midAttn_, midBlock2_, finalResBlock_;
    torch::nn::Conv2d finalConv_{nullptr};
    std::shared_ptr<ResnetBlockCfg> stages_;
};
TORCH_MODULE(CfgUnet);

// The guidance arithmetic on a conditional and a null output (exposed for tests and for flows).
torch::Tensor guidedOutput(const torch::Tensor& cond, const torch::Tensor& null, const GuidanceOptions& g);

}  // namespace ds::nn
