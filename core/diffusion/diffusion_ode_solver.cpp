// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/diffusion_ode_solver.h"

#include "core/util/error.h"

namespace ds::diffusion {

torch::Tensor expandDims(const torch::Tensor& v, int64_t dims) {
    std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
    shape[0] = v.size(0);
    return v.reshape(shape);
}

DiffusionOdeSolver::DiffusionOdeSolver(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule,
                                       bool predictX0, const api::SolverOptions& options)
    : ns_(schedule), options_(options), predictX0_(predictX0), network_(std::move(network)), output_(output) {}

torch::Tensor DiffusionOdeSolver::timeSteps(api::StepSpacing spacing, double tT, double t0, int n) const {
    switch (spacing) {
    case api::StepSpacing::LogSnr: {
        const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(ns_.device());
        const double lambdaT = ns_.marginalLambda(torch::scalar_tensor(tT, opts)).item<double>();
        const double lambda0 = ns_.marginalLambda(torch::scalar_tensor(t0, opts)).item<double>();
        return ns_.inverseLambda(torch::linspace(lambdaT, lambda0, n + 1).to(ns_.device()));
    }
    case api::StepSpacing::TimeUniform: return torch::linspace(tT, t0, n + 1).to(ns_.device());
    case api::StepSpacing::TimeQuadratic:
        return torch::linspace(std::pow(tT, 0.5), std::pow(t0, 0.5), n + 1).pow(2).to(ns_.device());
    }
    throw Error("unknown time-step spacing");
}

torch::Tensor DiffusionOdeSolver::noisePrediction(const torch::Tensor& x, const torch::Tensor& t) {
    // model_wrapper's noise_pred_fn, guidance "uncond"; t expanded to the batch as DPM_Solver.model.
    const auto tBatch = t.expand({x.size(0)});
    auto out = network_(x, ns_.modelInputTime(tBatch));
    ++nfe_;
    torch::Tensor noise;
    switch (output_) {
    case ModelOutput::Noise: noise = out; break;
    case ModelOutput::XStart: {
        auto alpha = ns_.marginalAlpha(tBatch), sigma = ns_.marginalStd(tBatch);
        noise = (x - expandDims(alpha, x.dim()) * out) / expandDims(sigma, x.dim());
        break;
    }
    case ModelOutput::V: {
        auto alpha = ns_.marginalAlpha(tBatch), sigma = ns_.marginalStd(tBatch);
        noise = expandDims(alpha, x.dim()) * out + expandDims(sigma, x.dim()) * x;
        break;
    }
    }
    return noise;
}

torch::Tensor DiffusionOdeSolver::correctX0(const torch::Tensor& x0) const {
    switch (options_.x0Correction) {
    case api::X0Correction::None: return x0;
    case api::X0Correction::Clip: return x0.clamp(-1.0, 1.0);
    case api::X0Correction::Dynamic: {
        // The references' dynamic_thresholding_fn (Imagen).
        const auto dims = x0.dim();
        auto s = torch::quantile(torch::abs(x0).reshape({x0.size(0), -1}), options_.dynamicThresholdingRatio, 1);
        s = expandDims(torch::maximum(s, options_.thresholdingMaxVal * torch::ones_like(s)), dims);
        return torch::clamp(x0, -s, s) / s;
    }
    }
    return x0;
}

torch::Tensor DiffusionOdeSolver::dataPrediction(const torch::Tensor& x, const torch::Tensor& t) {
    auto noise = noisePrediction(x, t);
    auto alpha = ns_.marginalAlpha(t), sigma = ns_.marginalStd(t);
    auto x0 = correctX0((x - sigma * noise) / alpha);
    recordEvaluation(t, x0);
    return x0;
}

torch::Tensor DiffusionOdeSolver::modelFn(const torch::Tensor& x, const torch::Tensor& t) {
    if (predictX0_) return dataPrediction(x, t);
    auto noise = noisePrediction(x, t);
    // The solver uses the noise; the data prediction it implies is what a step reports.
    recordEvaluation(t, (x - ns_.marginalStd(t) * noise) / ns_.marginalAlpha(t));
    return noise;
}

void DiffusionOdeSolver::recordEvaluation(const torch::Tensor& t, const torch::Tensor& x0) {
    const float time = t.reshape({-1})[0].item<float>();
    x0ByTime_[time] = x0;
    if (onEvaluation_) onEvaluation_(time, x0);
}

void DiffusionOdeSolver::reportStep(const SolverStepCallback& onStep, int index, int count, const torch::Tensor& s,
                                    const torch::Tensor& t, const torch::Tensor& x) {
    const float sTime = s.reshape({-1})[0].item<float>();
    const float tTime = t.reshape({-1})[0].item<float>();
    torch::Tensor x0;
    if (auto it = x0ByTime_.find(sTime); it != x0ByTime_.end()) x0 = it->second;
    // Time runs from 1 down: s and the times before it are not asked for again.
    x0ByTime_.erase(x0ByTime_.lower_bound(sTime), x0ByTime_.end());
    if (onStep) onStep(SolverStep{index, count, sTime, tTime, x, x0});
}

torch::Tensor DiffusionOdeSolver::denoiseToZero(const torch::Tensor& x, double t0, const SolverStepCallback& onStep,
                                                int index, int count) {
    auto t = torch::ones({1}, torch::TensorOptions().dtype(torch::kFloat32).device(ns_.device())) * t0;
    auto x0 = dataPrediction(x, t);
    if (onStep) onStep(SolverStep{index, count, double(t.item<float>()), 0.0, x0, x0});
    return x0;
}

}  // namespace ds::diffusion
