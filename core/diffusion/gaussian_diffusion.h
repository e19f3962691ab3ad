// lucidrains' GaussianDiffusion (denoising_diffusion_pytorch 2.x): the 13 schedule buffers
// under upstream names, the training loss, p_mean_variance, and the DDPM and DDIM samplers.
// The Unet is registered as "model", so state_dict() keys match upstream checkpoints.
#pragma once
#include "core/diffusion/denoise_step.h"
#include "core/diffusion/diffusion_config.h"
#include "core/nn/unet.h"
#include "core/util/batch_shard.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ds::diffusion {

struct ModelPrediction {
    torch::Tensor predNoise;
    torch::Tensor predXStart;
};

struct PosteriorMeanVariance {
    torch::Tensor mean;
    torch::Tensor variance;
    torch::Tensor logVariance;
    torch::Tensor xStart;
};

class GaussianDiffusionImpl : public torch::nn::Module {
public:
    GaussianDiffusionImpl(nn::Unet model, const DiffusionConfig& config);

    const DiffusionConfig& config() const { return config_; }
    nn::Unet& model() { return model_; }
    const nn::Unet& model() const { return model_; }
    int64_t numTimesteps() const { return config_.timesteps; }

    // The upstream buffer names, in registration (state_dict) order.
    static const std::vector<std::string>& bufferNames();
    torch::Tensor buffer(const std::string& name) const;

    torch::Tensor normalize(const torch::Tensor& img01) const;
    torch::Tensor unnormalize(const torch::Tensor& x) const;

    torch::Tensor qSample(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise) const;
    torch::Tensor predictStartFromNoise(const torch::Tensor& xt, const torch::Tensor& t, const torch::Tensor& noise) const;
    torch::Tensor predictNoiseFromStart(const torch::Tensor& xt, const torch::Tensor& t, const torch::Tensor& x0) const;
    torch::Tensor predictV(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise) const;
    torch::Tensor predictStartFromV(const torch::Tensor& xt, const torch::Tensor& t, const torch::Tensor& v) const;

    ModelPrediction modelPredictions(const torch::Tensor& x, const torch::Tensor& t,
                                     const std::optional<torch::Tensor>& selfCond, bool clipXStart,
                                     bool rederivePredNoise);
    PosteriorMeanVariance pMeanVariance(const torch::Tensor& x, const torch::Tensor& t,
                                        const std::optional<torch::Tensor>& selfCond = std::nullopt,
                                        bool clipDenoised = true);

    // p_losses: xStart in model space; t (B) long; noise like xStart. Mean weighted MSE.
    torch::Tensor pLosses(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise,
                          at::Generator& gen);
    // p_losses before the batch mean: the weighted MSE of each sample (B). shard: which rows of a
    // data-parallel global batch these are (per-sample draws then match one process's).
    torch::Tensor pLossesPerSample(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise,
                                   at::Generator& gen, const BatchShard& shard = BatchShard());
    // forward(): images in [0, 1] (normalised here when auto-normalising); t and noise drawn from gen.
    torch::Tensor trainingLoss(const torch::Tensor& images01, at::Generator& gen);
    // forward() with its parts: the loss of each sample and the timestep it was drawn at, so
    // a trainer can report loss by timestep (easy and hard timesteps mix in the mean).
    struct LossTerms {
        torch::Tensor perSample;  // (B), weighted MSE
        torch::Tensor t;          // (B) long
        torch::Tensor mean() const { return perSample.mean(); }
    };
    LossTerms trainingLossTerms(const torch::Tensor& images01, at::Generator& gen,
                                const BatchShard& shard = BatchShard());

    // Samplers. xT: initial noise in model space. Return x0 in model space (not unnormalised).
    // Noise is drawn on the CPU from gen, so a seed gives the same images on every device.
    torch::Tensor ddpmSample(const torch::Tensor& xT, at::Generator& gen, const DenoiseCallback& onStep = {},
                             const StopToken* stop = nullptr);
    torch::Tensor ddimSample(const torch::Tensor& xT, int steps, double eta, at::Generator& gen,
                             const DenoiseCallback& onStep = {}, const StopToken* stop = nullptr);
    // DDIM on given (time, time_next) pairs, time_next -1 for the last (x0) step.
    torch::Tensor ddimSampleOnPairs(const torch::Tensor& xT, const std::vector<std::pair<int64_t, int64_t>>& pairs,
                                    double eta, at::Generator& gen, const DenoiseCallback& onStep = {},
                                    const StopToken* stop = nullptr);
    // Upstream's DDIM (time, time_next) pairs: linspace(-1, T - 1, steps + 1) truncated to int, reversed.
    std::vector<std::pair<int64_t, int64_t>> ddimTimePairs(int steps) const;

private:
    torch::Tensor extract(const torch::Tensor& a, const torch::Tensor& t, const torch::Tensor& like) const;
    torch::Tensor randnLike(const torch::Tensor& like, at::Generator& gen) const;

    DiffusionConfig config_;
    nn::Unet model_{nullptr};
    std::map<std::string, torch::Tensor> buffers_;  // handles to the registered buffers
};
TORCH_MODULE(GaussianDiffusion);

}  // namespace ds::diffusion
