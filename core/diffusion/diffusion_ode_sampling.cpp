// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/diffusion_ode_sampling.h"

#include "core/diffusion/dpm_solver.h"
#include "core/diffusion/uni_pc.h"
#include "core/util/error.h"

namespace ds::diffusion {

namespace {

ModelOutput modelOutputOf(const std::string& objective) {
    if (objective == "pred_noise") return ModelOutput::Noise;
    if (objective == "pred_x0") return ModelOutput::XStart;
    return ModelOutput::V;
}

}  // namespace

NoiseScheduleVP noiseScheduleFor(const GaussianDiffusionImpl& model, api::DiffusionSampler sampler,
                                 const torch::Device& device) {
    return NoiseScheduleVP(model.buffer("alphas_cumprod").to(torch::kCPU), sampler != api::DiffusionSampler::UniPC,
                           device);
}

void validateSolverOptions(api::DiffusionSampler sampler, const api::SolverOptions& o, int steps) {
    if (!api::isOdeSolver(sampler)) throw Error(std::string(api::samplerName(sampler)) + " is not an ODE solver");
    const bool adaptive = o.method == api::SolverMethod::Adaptive;
    if (sampler == api::DiffusionSampler::UniPC && o.method != api::SolverMethod::Multistep)
        throw Error(std::string("--method ") + api::methodName(o.method) + " does not apply to UniPC (multistep only)");
    if (adaptive ? (o.order < 2 || o.order > 3) : (o.order < 1 || o.order > 3))
        throw Error("--order must be " + std::string(adaptive ? "2 or 3 for the adaptive method" : "1, 2 or 3") +
                    ", got " + std::to_string(o.order));
    if (!adaptive && steps < o.order)
        throw Error("--steps must be at least the order (" + std::to_string(o.order) + "), got " +
                    std::to_string(steps));
    if (adaptive && !(o.atol > 0 && o.rtol > 0)) throw Error("--atol and --rtol must be positive");
    if (o.x0Correction != api::X0Correction::None) {
        const bool predictsX0 = sampler == api::DiffusionSampler::DpmSolverPlusPlus ||
                                (sampler == api::DiffusionSampler::UniPC && o.unipcPredictX0);
        if (!predictsX0)
            throw Error(std::string("--clip-x0 ") + api::x0CorrectionName(o.x0Correction) +
                        " corrects data predictions: it applies to dpm-solver++ and unipc, not to " +
                        api::samplerLabel(sampler, o));
    }
    if (o.x0Correction == api::X0Correction::Dynamic &&
        !(o.dynamicThresholdingRatio > 0 && o.dynamicThresholdingRatio <= 1 && o.thresholdingMaxVal > 0))
        throw Error("dynamic thresholding needs a ratio in (0, 1] and a positive maximum");
}

int solverStepCount(api::DiffusionSampler sampler, const api::SolverOptions& o, int steps) {
    const int extra = o.denoiseToZero ? 1 : 0;
    if (sampler == api::DiffusionSampler::UniPC) return steps + extra;
    switch (o.method) {
    case api::SolverMethod::Multistep: return steps + extra;
    case api::SolverMethod::Singlestep:
        return static_cast<int>(dpmSolverSinglestepOrders(steps, o.order).size()) + extra;
    case api::SolverMethod::SinglestepFixed: return steps / o.order + extra;
    case api::SolverMethod::Adaptive: return 0;
    }
    return 0;
}

int64_t solverEvaluationCount(api::DiffusionSampler sampler, const api::SolverOptions& o, int steps) {
    const int extra = o.denoiseToZero ? 1 : 0;
    if (sampler != api::DiffusionSampler::UniPC && o.method == api::SolverMethod::SinglestepFixed)
        return (steps / o.order) * o.order + extra;
    if (sampler != api::DiffusionSampler::UniPC && o.method == api::SolverMethod::Adaptive) return 0;
    return steps + extra;
}

std::unique_ptr<DiffusionOdeSolver> makeDiffusionOdeSolver(GaussianDiffusionImpl& model,
                                                           const NoiseScheduleVP& schedule,
                                                           api::DiffusionSampler sampler,
                                                           const api::SolverOptions& options) {
    // The network as it is, without self-conditioning (the references' wrapper passes none:
    // zeros). A conditional model gives its guided output (the references' classifier-free
    // wrapper guides the same way: the guidance is on the network's output, before the solver
    // converts it to noise or data).
    NetworkFn network = [&model](const torch::Tensor& x, const torch::Tensor& tInput) {
        return model.networkOutput(x, tInput);
    };
    const auto output = modelOutputOf(model.config().objective);
    switch (sampler) {
    case api::DiffusionSampler::DpmSolver:
        return std::make_unique<DpmSolver>(network, output, schedule, false, options);
    case api::DiffusionSampler::DpmSolverPlusPlus:
        return std::make_unique<DpmSolver>(network, output, schedule, true, options);
    case api::DiffusionSampler::UniPC: return std::make_unique<UniPC>(network, output, schedule, options);
    default: break;
    }
    throw Error(std::string(api::samplerName(sampler)) + " is not an ODE solver");
}

}  // namespace ds::diffusion
