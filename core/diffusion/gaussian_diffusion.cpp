// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/gaussian_diffusion.h"

#include "core/diffusion/beta_schedule.h"
#include "core/util/error.h"

namespace ds::diffusion {

namespace {

torch::Tensor fullTimes(int64_t batch, int64_t t, const torch::Device& device) {
    return torch::full({batch}, t, torch::TensorOptions().dtype(torch::kLong).device(device));
}

}  // namespace

const std::vector<std::string>& GaussianDiffusionImpl::bufferNames() {
    static const std::vector<std::string> names{"betas",
                                                "alphas_cumprod",
                                                "alphas_cumprod_prev",
                                                "sqrt_alphas_cumprod",
                                                "sqrt_one_minus_alphas_cumprod",
                                                "log_one_minus_alphas_cumprod",
                                                "sqrt_recip_alphas_cumprod",
                                                "sqrt_recipm1_alphas_cumprod",
                                                "posterior_variance",
                                                "posterior_log_variance_clipped",
                                                "posterior_mean_coef1",
                                                "posterior_mean_coef2",
                                                "loss_weight"};
    return names;
}

GaussianDiffusionImpl::GaussianDiffusionImpl(nn::Unet model, const DiffusionConfig& config) : config_(config) {
    config_.validate();
    if (model->config().channels <= 0) throw Error("invalid Unet");
    model_ = register_module("model", std::move(model));
    registerSchedule();
}

GaussianDiffusionImpl::GaussianDiffusionImpl(nn::CfgUnet model, const DiffusionConfig& config) : config_(config) {
    config_.validate();
    if (model->config().channels <= 0) throw Error("invalid Unet");
    cfgModel_ = register_module("model", std::move(model));
    registerSchedule();
}

void GaussianDiffusionImpl::registerSchedule() {
    for (auto& [name, value] : scheduleBuffers(config_)) buffers_[name] = register_buffer(name, value);
}

std::vector<std::pair<std::string, torch::Tensor>> GaussianDiffusionImpl::scheduleBuffers(
    const DiffusionConfig& config) {
    // Everything in float64 as upstream, then stored as float32. A "custom" schedule is
    // replaced by the buffers of the checkpoint it came from.
    const std::string schedule = config.betaSchedule == "custom" ? "sigmoid" : config.betaSchedule;
    auto betas = betaSchedule(schedule, config.timesteps);
    auto alphas = 1.0 - betas;
    auto ac = torch::cumprod(alphas, 0);
    auto acPrev = torch::cat({torch::ones({1}, betas.options()), ac.slice(0, 0, -1)});
    auto posteriorVariance = betas * (1.0 - acPrev) / (1.0 - ac);

    auto snr = ac / (1.0 - ac);
    auto clippedSnr = config.minSnrLossWeight ? snr.clamp_max(config.minSnrGamma) : snr.clone();
    torch::Tensor lossWeight;
    if (config.objective == "pred_noise") lossWeight = clippedSnr / snr;
    else if (config.objective == "pred_x0") lossWeight = clippedSnr;
    else lossWeight = clippedSnr / (snr + 1.0);

    const std::vector<torch::Tensor> values{betas,
                                            ac,
                                            acPrev,
                                            torch::sqrt(ac),
                                            torch::sqrt(1.0 - ac),
                                            torch::log(1.0 - ac),
                                            torch::sqrt(1.0 / ac),
                                            torch::sqrt(1.0 / ac - 1.0),
                                            posteriorVariance,
                                            torch::log(posteriorVariance.clamp_min(1e-20)),
                                            betas * torch::sqrt(acPrev) / (1.0 - ac),
                                            (1.0 - acPrev) * torch::sqrt(alphas) / (1.0 - ac),
                                            lossWeight};
    const auto& names = bufferNames();
    std::vector<std::pair<std::string, torch::Tensor>> buffers;
    for (size_t i = 0; i < names.size(); ++i) buffers.emplace_back(names[i], values[i].to(torch::kFloat32));
    return buffers;
}

nn::Unet& GaussianDiffusionImpl::model() {
    if (model_.is_empty()) throw Error("a class-conditional model has no unconditional Unet");
    return model_;
}

const nn::Unet& GaussianDiffusionImpl::model() const {
    if (model_.is_empty()) throw Error("a class-conditional model has no unconditional Unet");
    return model_;
}

nn::CfgUnet& GaussianDiffusionImpl::conditionalModel() {
    if (cfgModel_.is_empty()) throw Error("the model is not class-conditional");
    return cfgModel_;
}

int GaussianDiffusionImpl::channels() const {
    return isConditional() ? cfgModel_->config().channels : model_->config().channels;
}

void GaussianDiffusionImpl::setCondition(std::optional<ClassCondition> condition) {
    if (condition && !isConditional()) throw Error("the model is not class-conditional: it takes no classes");
    if (condition) {
        const auto& c = condition->classes;
        if (!c.defined() || c.dim() != 1 || c.scalar_type() != torch::kLong)
            throw Error("the classes must be one int64 label per image");
        if (c.numel() > 0 && (c.min().item<int64_t>() < 0 || c.max().item<int64_t>() >= numClasses()))
            throw Error("a class is outside 0.." + std::to_string(numClasses() - 1));
    }
    condition_ = std::move(condition);
}

std::pair<torch::Tensor, torch::Tensor> GaussianDiffusionImpl::guidedAndNull(
    const torch::Tensor& x, const torch::Tensor& t, const std::optional<torch::Tensor>& selfCond) {
    if (!isConditional()) return {model_->forward(x, t, selfCond), torch::Tensor()};
    if (!condition_) throw Error("a class-conditional model needs classes to sample");
    if (condition_->classes.size(0) != x.size(0))
        throw Error("the classes are " + std::to_string(condition_->classes.size(0)) + " labels for a batch of " +
                    std::to_string(x.size(0)));
    return cfgModel_->forwardWithCondScale(x, t, condition_->classes.to(x.device()), condition_->guidance);
}

torch::Tensor GaussianDiffusionImpl::networkOutput(const torch::Tensor& x, const torch::Tensor& t,
                                                   const std::optional<torch::Tensor>& selfCond) {
    return guidedAndNull(x, t, selfCond).first;
}

torch::Tensor GaussianDiffusionImpl::buffer(const std::string& name) const {
    auto it = buffers_.find(name);
    if (it == buffers_.end()) throw Error("GaussianDiffusion has no buffer '" + name + "'");
    return it->second;
}

torch::Tensor GaussianDiffusionImpl::normalize(const torch::Tensor& img01) const {
    return config_.autoNormalize ? img01 * 2.0 - 1.0 : img01;
}

torch::Tensor GaussianDiffusionImpl::unnormalize(const torch::Tensor& x) const {
    return config_.autoNormalize ? (x + 1.0) * 0.5 : x;
}

torch::Tensor GaussianDiffusionImpl::extract(const torch::Tensor& a, const torch::Tensor& t,
                                             const torch::Tensor& like) const {
    std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
    shape[0] = t.size(0);
    return a.gather(-1, t).reshape(shape);
}

torch::Tensor GaussianDiffusionImpl::randnLike(const torch::Tensor& like, at::Generator& gen) const {
    auto noise = torch::randn(like.sizes(), gen, torch::TensorOptions().dtype(like.scalar_type()));
    return noise.to(like.device());
}

torch::Tensor GaussianDiffusionImpl::qSample(const torch::Tensor& xStart, const torch::Tensor& t,
                                             const torch::Tensor& noise) const {
    return extract(buffers_.at("sqrt_alphas_cumprod"), t, xStart) * xStart +
           extract(buffers_.at("sqrt_one_minus_alphas_cumprod"), t, xStart) * noise;
}

torch::Tensor GaussianDiffusionImpl::predictStartFromNoise(const torch::Tensor& xt, const torch::Tensor& t,
                                                           const torch::Tensor& noise) const {
    return extract(buffers_.at("sqrt_recip_alphas_cumprod"), t, xt) * xt -
           extract(buffers_.at("sqrt_recipm1_alphas_cumprod"), t, xt) * noise;
}

torch::Tensor GaussianDiffusionImpl::predictNoiseFromStart(const torch::Tensor& xt, const torch::Tensor& t,
                                                           const torch::Tensor& x0) const {
    return (extract(buffers_.at("sqrt_recip_alphas_cumprod"), t, xt) * xt - x0) /
           extract(buffers_.at("sqrt_recipm1_alphas_cumprod"), t, xt);
}

torch::Tensor GaussianDiffusionImpl::predictV(const torch::Tensor& xStart, const torch::Tensor& t,
                                              const torch::Tensor& noise) const {
    return extract(buffers_.at("sqrt_alphas_cumprod"), t, xStart) * noise -
           extract(buffers_.at("sqrt_one_minus_alphas_cumprod"), t, xStart) * xStart;
}

torch::Tensor GaussianDiffusionImpl::predictStartFromV(const torch::Tensor& xt, const torch::Tensor& t,
                                                       const torch::Tensor& v) const {
    return extract(buffers_.at("sqrt_alphas_cumprod"), t, xt) * xt -
           extract(buffers_.at("sqrt_one_minus_alphas_cumprod"), t, xt) * v;
}

ModelPrediction GaussianDiffusionImpl::modelPredictions(const torch::Tensor& x, const torch::Tensor& t,
                                                        const std::optional<torch::Tensor>& selfCond, bool clipXStart,
                                                        bool rederivePredNoise) {
    auto [out, null] = guidedAndNull(x, t, selfCond);
    auto maybeClip = [&](const torch::Tensor& v) { return clipXStart ? v.clamp(-1.0, 1.0) : v; };
    ModelPrediction p;
    if (isConditional()) {
        // classifier_free_guidance.py's model_predictions: x0 from the guided output; the noise
        // that renoises from it too, or from the null class's output with CFG++ (at W = 1 there
        // is no null output: the conditional one serves). pred_noise is never re-derived from a
        // clipped x0 for the pred_noise objective there.
        const auto& renoise = condition_->cfgPlusPlus && null.defined() ? null : out;
        if (config_.objective == "pred_noise") {
            p.predNoise = renoise;
            p.predXStart = maybeClip(predictStartFromNoise(x, t, out));
        } else if (config_.objective == "pred_x0") {
            p.predXStart = maybeClip(out);
            p.predNoise =
                predictNoiseFromStart(x, t, condition_->cfgPlusPlus && null.defined() ? maybeClip(null) : p.predXStart);
        } else {
            p.predXStart = maybeClip(predictStartFromV(x, t, out));
            p.predNoise = predictNoiseFromStart(
                x, t,
                condition_->cfgPlusPlus && null.defined() ? maybeClip(predictStartFromV(x, t, null)) : p.predXStart);
        }
        return p;
    }
    if (config_.objective == "pred_noise") {
        p.predNoise = out;
        p.predXStart = maybeClip(predictStartFromNoise(x, t, out));
        if (clipXStart && rederivePredNoise) p.predNoise = predictNoiseFromStart(x, t, p.predXStart);
    } else if (config_.objective == "pred_x0") {
        p.predXStart = maybeClip(out);
        p.predNoise = predictNoiseFromStart(x, t, p.predXStart);
    } else {
        p.predXStart = maybeClip(predictStartFromV(x, t, out));
        p.predNoise = predictNoiseFromStart(x, t, p.predXStart);
    }
    return p;
}

PosteriorMeanVariance GaussianDiffusionImpl::pMeanVariance(const torch::Tensor& x, const torch::Tensor& t,
                                                           const std::optional<torch::Tensor>& selfCond,
                                                           bool clipDenoised) {
    auto pred = modelPredictions(x, t, selfCond, false, false);
    PosteriorMeanVariance r;
    r.xStart = clipDenoised ? pred.predXStart.clamp(-1.0, 1.0) : pred.predXStart;
    r.mean = extract(buffers_.at("posterior_mean_coef1"), t, x) * r.xStart +
             extract(buffers_.at("posterior_mean_coef2"), t, x) * x;
    r.variance = extract(buffers_.at("posterior_variance"), t, x);
    r.logVariance = extract(buffers_.at("posterior_log_variance_clipped"), t, x);
    return r;
}

torch::Tensor GaussianDiffusionImpl::pLosses(const torch::Tensor& xStart, const torch::Tensor& t,
                                             const torch::Tensor& noise, at::Generator& gen) {
    return pLossesPerSample(xStart, t, noise, gen).mean();
}

torch::Tensor GaussianDiffusionImpl::pLossesPerSample(const torch::Tensor& xStart, const torch::Tensor& t,
                                                      const torch::Tensor& noiseIn, at::Generator& gen,
                                                      const BatchShard& shard, const torch::Tensor& classes) {
    if (isConditional() != classes.defined())
        throw Error(isConditional() ? "a class-conditional model trains on labelled images"
                                    : "the model is not class-conditional: it takes no classes");
    torch::Tensor noise = noiseIn;
    if (config_.offsetNoiseStrength > 0.0) {
        auto offset = shard.randn({xStart.size(0), xStart.size(1)}, gen).to(xStart.device());
        noise = noise + config_.offsetNoiseStrength * offset.unsqueeze(-1).unsqueeze(-1);
    }
    auto x = qSample(xStart, t, noise);
    std::optional<torch::Tensor> selfCond;
    if (!isConditional() && model_->config().selfCondition && torch::rand({1}, gen).item<double>() < 0.5) {
        torch::NoGradGuard noGrad;
        selfCond = modelPredictions(x, t, std::nullopt, false, false).predXStart.detach();
    }
    torch::Tensor out;
    if (isConditional()) {
        // prob_mask_like((B,), 1 - cond_drop_prob): no draw at a keep probability of 0 or 1.
        const double keep = 1.0 - cfgModel_->config().condDropProb;
        std::optional<torch::Tensor> keepClass;
        if (keep <= 0.0) keepClass = torch::zeros({x.size(0)}, torch::kBool);
        else if (keep < 1.0) keepClass = shard.rand({x.size(0)}, gen) < keep;
        if (keepClass) keepClass = keepClass->to(x.device());
        out = cfgModel_->forward(x, t, classes.to(x.device()), keepClass);
    } else {
        out = model_->forward(x, t, selfCond);
    }
    torch::Tensor target;
    if (config_.objective == "pred_noise") target = noise;
    else if (config_.objective == "pred_x0") target = xStart;
    else target = predictV(xStart, t, noise);
    auto loss = (out - target).pow(2).flatten(1).mean(1);
    return loss * buffers_.at("loss_weight").gather(0, t);
}

torch::Tensor GaussianDiffusionImpl::trainingLoss(const torch::Tensor& images01, at::Generator& gen) {
    return trainingLossTerms(images01, gen).mean();
}

GaussianDiffusionImpl::LossTerms GaussianDiffusionImpl::trainingLossTerms(const torch::Tensor& images01,
                                                                          at::Generator& gen, const BatchShard& shard,
                                                                          const torch::Tensor& classes) {
    const auto b = images01.size(0);
    auto t = shard.randint(config_.timesteps, b, gen).to(images01.device());
    auto xStart = normalize(images01);
    auto noise =
        shard.randn(xStart.sizes(), gen, torch::TensorOptions().dtype(xStart.scalar_type())).to(xStart.device());
    return {pLossesPerSample(xStart, t, noise, gen, shard, classes), t};
}

torch::Tensor GaussianDiffusionImpl::ddpmSample(const torch::Tensor& xT, at::Generator& gen,
                                                const DenoiseCallback& onStep, const StopToken* stop) {
    torch::Tensor img = xT;
    std::optional<torch::Tensor> xStart;
    const int count = static_cast<int>(config_.timesteps);
    for (int64_t t = config_.timesteps - 1; t >= 0; --t) {
        throwIfStopped(stop);
        auto times = fullTimes(img.size(0), t, img.device());
        auto selfCond = !isConditional() && model_->config().selfCondition ? xStart : std::nullopt;
        auto pmv = pMeanVariance(img, times, selfCond, true);
        if (t > 0) img = pmv.mean + (0.5 * pmv.logVariance).exp() * randnLike(img, gen);
        else img = pmv.mean;
        xStart = pmv.xStart;
        if (onStep) onStep(DenoiseStep{static_cast<int>(config_.timesteps - 1 - t), count, t, t - 1, img, pmv.xStart});
    }
    return img;
}

std::vector<std::pair<int64_t, int64_t>> GaussianDiffusionImpl::ddimTimePairs(int steps) const {
    if (steps < 1 || steps > config_.timesteps)
        throw Error("DDIM steps must be between 1 and " + std::to_string(config_.timesteps) + ", got " +
                    std::to_string(steps));
    // float32 linspace then int truncation, exactly as upstream.
    auto times = torch::linspace(-1.0, static_cast<double>(config_.timesteps - 1), steps + 1).to(torch::kInt);
    std::vector<int64_t> t(times.data_ptr<int>(), times.data_ptr<int>() + times.numel());
    std::reverse(t.begin(), t.end());
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (size_t i = 0; i + 1 < t.size(); ++i) pairs.emplace_back(t[i], t[i + 1]);
    return pairs;
}

torch::Tensor GaussianDiffusionImpl::ddimSample(const torch::Tensor& xT, int steps, double eta, at::Generator& gen,
                                                const DenoiseCallback& onStep, const StopToken* stop) {
    return ddimSampleOnPairs(xT, ddimTimePairs(steps), eta, gen, onStep, stop);
}

torch::Tensor GaussianDiffusionImpl::ddimSampleOnPairs(const torch::Tensor& xT,
                                                       const std::vector<std::pair<int64_t, int64_t>>& pairs,
                                                       double eta, at::Generator& gen, const DenoiseCallback& onStep,
                                                       const StopToken* stop) {
    for (const auto& [time, timeNext] : pairs)
        if (time < 0 || time >= config_.timesteps || timeNext < -1 || timeNext >= time)
            throw Error("DDIM time pair (" + std::to_string(time) + ", " + std::to_string(timeNext) +
                        ") is out of order");
    // Read the schedule once on the host: no device syncs inside the loop.
    auto acHost = buffers_.at("alphas_cumprod").to(torch::kCPU, torch::kDouble).contiguous();
    const double* ac = acHost.data_ptr<double>();
    torch::Tensor img = xT;
    std::optional<torch::Tensor> xStart;
    for (size_t i = 0; i < pairs.size(); ++i) {
        throwIfStopped(stop);
        const auto [time, timeNext] = pairs[i];
        auto times = fullTimes(img.size(0), time, img.device());
        auto selfCond = !isConditional() && model_->config().selfCondition ? xStart : std::nullopt;
        auto pred = modelPredictions(img, times, selfCond, true, true);
        xStart = pred.predXStart;
        if (timeNext < 0) {
            img = pred.predXStart;
        } else {
            const double alpha = ac[time], alphaNext = ac[timeNext];
            const double sigma = eta * std::sqrt((1 - alpha / alphaNext) * (1 - alphaNext) / (1 - alpha));
            const double c = std::sqrt(1 - alphaNext - sigma * sigma);
            img = pred.predXStart * std::sqrt(alphaNext) + c * pred.predNoise;
            // Upstream draws the noise even when eta = 0; keeping the draw keeps seeds aligned.
            auto noise = randnLike(img, gen);
            if (sigma != 0.0) img = img + sigma * noise;
        }
        if (onStep)
            onStep(
                DenoiseStep{static_cast<int>(i), static_cast<int>(pairs.size()), time, timeNext, img, pred.predXStart});
    }
    return img;
}

}  // namespace ds::diffusion
