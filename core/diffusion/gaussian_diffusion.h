// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' GaussianDiffusion (denoising_diffusion_pytorch 2.x): the 13 schedule buffers
// under upstream names, the training loss, p_mean_variance, and the DDPM and DDIM samplers.
// The network is registered as "model", so state_dict() keys match upstream checkpoints. It is
// either the main Unet or the class-conditional Unet of classifier_free_guidance.py, whose
// GaussianDiffusion differs only in model_predictions (guided output, CFG++) and in passing
// the classes: one class serves both.
#pragma once
#include "core/diffusion/denoise_step.h"
#include "core/diffusion/diffusion_config.h"
#include "core/nn/cfg_unet.h"
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

// What a class-conditional model samples: one class per image, and the guidance of
// forward_with_cond_scale. cfgPlusPlus: CFG++ (use_cfg_plus_plus), the DDPM/DDIM samplers
// renoise with the null class's noise prediction.
struct ClassCondition {
    torch::Tensor classes;  // (B) int64
    nn::GuidanceOptions guidance;
    bool cfgPlusPlus = false;
};

class GaussianDiffusionImpl : public torch::nn::Module {
public:
    GaussianDiffusionImpl(nn::Unet model, const DiffusionConfig& config);
    GaussianDiffusionImpl(nn::CfgUnet model, const DiffusionConfig& config);

    const DiffusionConfig& config() const { return config_; }
    // The main Unet (an error for a class-conditional model: see isConditional()).
    nn::Unet& model();
    const nn::Unet& model() const;
    nn::CfgUnet& conditionalModel();  // an error for an unconditional model
    bool isConditional() const { return !cfgModel_.is_empty(); }
    int channels() const;
    int numClasses() const { return isConditional() ? cfgModel_->config().numClasses : 0; }

    // The classes and guidance every sampler and network call of a conditional model uses from
    // now on (the batch's classes: set it per batch). A conditional model cannot sample
    // without one; an unconditional model refuses one.
    void setCondition(std::optional<ClassCondition> condition);
    const std::optional<ClassCondition>& condition() const { return condition_; }
    // The network's (guided) output at x, t: what the ODE solvers evaluate. t may be fractional.
    torch::Tensor networkOutput(const torch::Tensor& x, const torch::Tensor& t,
                                const std::optional<torch::Tensor>& selfCond = std::nullopt);
    int64_t numTimesteps() const { return config_.timesteps; }

    // The upstream buffer names, in registration (state_dict) order.
    static const std::vector<std::string>& bufferNames();
    // Those buffers for a configuration (float32, computed in float64 as upstream).
    static std::vector<std::pair<std::string, torch::Tensor>> scheduleBuffers(const DiffusionConfig& config);
    torch::Tensor buffer(const std::string& name) const;

    torch::Tensor normalize(const torch::Tensor& img01) const;
    torch::Tensor unnormalize(const torch::Tensor& x) const;

    torch::Tensor qSample(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise) const;
    torch::Tensor predictStartFromNoise(const torch::Tensor& xt, const torch::Tensor& t,
                                        const torch::Tensor& noise) const;
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
    // classes (B) int64: a conditional model's labels, each replaced by the null class with
    // probability cond_drop_prob (the keep mask is drawn from gen after the noise, as upstream).
    torch::Tensor pLossesPerSample(const torch::Tensor& xStart, const torch::Tensor& t, const torch::Tensor& noise,
                                   at::Generator& gen, const BatchShard& shard = BatchShard(),
                                   const torch::Tensor& classes = {});
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
                                const BatchShard& shard = BatchShard(), const torch::Tensor& classes = {});

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

    void registerSchedule();
    // forward_with_cond_scale for a conditional model (null: the null class's output, undefined
    // at W = 1), the Unet's forward otherwise.
    std::pair<torch::Tensor, torch::Tensor> guidedAndNull(const torch::Tensor& x, const torch::Tensor& t,
                                                          const std::optional<torch::Tensor>& selfCond);

    DiffusionConfig config_;
    nn::Unet model_{nullptr};
    nn::CfgUnet cfgModel_{nullptr};
    std::optional<ClassCondition> condition_;
    std::map<std::string, torch::Tensor> buffers_;  // handles to the registered buffers
};
TORCH_MODULE(GaussianDiffusion);

}  // namespace ds::diffusion
