// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/dpm_solver.h"

#include "core/util/error.h"

#include <algorithm>

namespace ds::diffusion {

namespace {

// The 'taylor' solver type's first and second differences of a third-order singlestep update.
std::pair<torch::Tensor, torch::Tensor> taylorDifferences(const torch::Tensor& modelS, const torch::Tensor& modelS1,
                                                          const torch::Tensor& modelS2, const torch::Tensor& r1,
                                                          const torch::Tensor& r2) {
    auto d10 = (1. / r1) * (modelS1 - modelS);
    auto d11 = (1. / r2) * (modelS2 - modelS);
    auto d1 = (r2 * d10 - r1 * d11) / (r2 - r1);
    auto d2 = 2. * (d11 - d10) / (r2 - r1);
    return {d1, d2};
}

// A float32 scalar with one element, like the reference's Python floats meeting float32 tensors.
torch::Tensor scalarLike(double v, const torch::Tensor& like) { return torch::full({1}, v, like.options()); }

}  // namespace

DpmSolver::DpmSolver(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule, bool plusPlus,
                     const api::SolverOptions& options)
    : DiffusionOdeSolver(std::move(network), output, schedule, plusPlus, options) {
    const int order = options.order;
    if (options.method == api::SolverMethod::Adaptive) {
        if (order != 2 && order != 3)
            throw Error("the adaptive DPM-Solver has order 2 or 3, got " + std::to_string(order));
    } else if (order < 1 || order > 3) {
        throw Error("DPM-Solver's order must be 1, 2 or 3, got " + std::to_string(order));
    }
}

std::vector<int> dpmSolverSinglestepOrders(int steps, int order) {
    std::vector<int> orders;
    if (order == 3) {
        const int k = steps / 3 + 1;
        orders.assign(static_cast<size_t>(std::max(0, steps % 3 == 0 ? k - 2 : k - 1)), 3);
        if (steps % 3 == 0) orders.insert(orders.end(), {2, 1});
        else orders.push_back(steps % 3 == 1 ? 1 : 2);
    } else if (order == 2) {
        orders.assign(static_cast<size_t>(steps / 2), 2);
        if (steps % 2 == 1) orders.push_back(1);
    } else {
        orders.assign(static_cast<size_t>(steps), 1);
    }
    return orders;
}

std::pair<torch::Tensor, std::vector<int>> DpmSolver::singlestepOrdersAndTimesteps(int steps, int order, double tT,
                                                                                   double t0) const {
    const std::vector<int> orders = dpmSolverSinglestepOrders(steps, order);
    const int k = static_cast<int>(orders.size());
    torch::Tensor outer;
    if (options_.spacing == api::StepSpacing::LogSnr) {
        // "To reproduce the results in DPM-Solver paper": K uniform logSNR steps.
        outer = timeSteps(options_.spacing, tT, t0, k);
    } else {
        std::vector<int64_t> index{0};
        for (int o : orders) index.push_back(index.back() + o);
        outer = timeSteps(options_.spacing, tT, t0, steps).index_select(0, torch::tensor(index).to(ns_.device()));
    }
    return {outer, orders};
}

DpmSolver::Update DpmSolver::firstUpdate(const torch::Tensor& x, const torch::Tensor& s, const torch::Tensor& t,
                                         torch::Tensor modelS) {
    auto lambdaS = ns_.marginalLambda(s), lambdaT = ns_.marginalLambda(t);
    auto h = lambdaT - lambdaS;
    auto logAlphaS = ns_.marginalLogMeanCoeff(s), logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto sigmaS = ns_.marginalStd(s), sigmaT = ns_.marginalStd(t);
    auto alphaT = torch::exp(logAlphaT);
    if (!modelS.defined()) modelS = modelFn(x, s);
    torch::Tensor xt;
    if (predictX0_) {
        auto phi1 = torch::expm1(-h);
        xt = sigmaT / sigmaS * x - alphaT * phi1 * modelS;
    } else {
        auto phi1 = torch::expm1(h);
        xt = torch::exp(logAlphaT - logAlphaS) * x - (sigmaT * phi1) * modelS;
    }
    return {xt, modelS, {}, {}};
}

DpmSolver::Update DpmSolver::singlestepSecondUpdate(const torch::Tensor& x, const torch::Tensor& s,
                                                    const torch::Tensor& t, const torch::Tensor& r1,
                                                    torch::Tensor modelS) {
    auto lambdaS = ns_.marginalLambda(s), lambdaT = ns_.marginalLambda(t);
    auto h = lambdaT - lambdaS;
    auto lambdaS1 = lambdaS + r1 * h;
    auto s1 = ns_.inverseLambda(lambdaS1);
    auto logAlphaS = ns_.marginalLogMeanCoeff(s), logAlphaS1 = ns_.marginalLogMeanCoeff(s1),
         logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto sigmaS = ns_.marginalStd(s), sigmaS1 = ns_.marginalStd(s1), sigmaT = ns_.marginalStd(t);
    auto alphaS1 = torch::exp(logAlphaS1), alphaT = torch::exp(logAlphaT);
    if (!modelS.defined()) modelS = modelFn(x, s);
    torch::Tensor xt, modelS1;
    if (predictX0_) {
        auto phi11 = torch::expm1(-r1 * h);
        auto phi1 = torch::expm1(-h);
        auto xS1 = (sigmaS1 / sigmaS) * x - (alphaS1 * phi11) * modelS;
        modelS1 = modelFn(xS1, s1);
        if (options_.taylor)
            xt = (sigmaT / sigmaS) * x - (alphaT * phi1) * modelS +
                 (1. / r1) * (alphaT * (phi1 / h + 1.)) * (modelS1 - modelS);
        else xt = (sigmaT / sigmaS) * x - (alphaT * phi1) * modelS - (0.5 / r1) * (alphaT * phi1) * (modelS1 - modelS);
    } else {
        auto phi11 = torch::expm1(r1 * h);
        auto phi1 = torch::expm1(h);
        auto xS1 = torch::exp(logAlphaS1 - logAlphaS) * x - (sigmaS1 * phi11) * modelS;
        modelS1 = modelFn(xS1, s1);
        if (options_.taylor)
            xt = torch::exp(logAlphaT - logAlphaS) * x - (sigmaT * phi1) * modelS -
                 (1. / r1) * (sigmaT * (phi1 / h - 1.)) * (modelS1 - modelS);
        else
            xt = torch::exp(logAlphaT - logAlphaS) * x - (sigmaT * phi1) * modelS -
                 (0.5 / r1) * (sigmaT * phi1) * (modelS1 - modelS);
    }
    return {xt, modelS, modelS1, {}};
}

DpmSolver::Update DpmSolver::singlestepThirdUpdate(const torch::Tensor& x, const torch::Tensor& s,
                                                   const torch::Tensor& t, const torch::Tensor& r1,
                                                   const torch::Tensor& r2, torch::Tensor modelS,
                                                   torch::Tensor modelS1) {
    auto lambdaS = ns_.marginalLambda(s), lambdaT = ns_.marginalLambda(t);
    auto h = lambdaT - lambdaS;
    auto lambdaS1 = lambdaS + r1 * h;
    auto lambdaS2 = lambdaS + r2 * h;
    auto s1 = ns_.inverseLambda(lambdaS1);
    auto s2 = ns_.inverseLambda(lambdaS2);
    auto logAlphaS = ns_.marginalLogMeanCoeff(s), logAlphaS1 = ns_.marginalLogMeanCoeff(s1),
         logAlphaS2 = ns_.marginalLogMeanCoeff(s2), logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto sigmaS = ns_.marginalStd(s), sigmaS1 = ns_.marginalStd(s1), sigmaS2 = ns_.marginalStd(s2),
         sigmaT = ns_.marginalStd(t);
    auto alphaS1 = torch::exp(logAlphaS1), alphaS2 = torch::exp(logAlphaS2), alphaT = torch::exp(logAlphaT);
    torch::Tensor xt, modelS2;
    if (predictX0_) {
        auto phi11 = torch::expm1(-r1 * h);
        auto phi12 = torch::expm1(-r2 * h);
        auto phi1 = torch::expm1(-h);
        auto phi22 = torch::expm1(-r2 * h) / (r2 * h) + 1.;
        auto phi2 = phi1 / h + 1.;
        auto phi3 = phi2 / h - 0.5;
        if (!modelS.defined()) modelS = modelFn(x, s);
        if (!modelS1.defined()) {
            auto xS1 = (sigmaS1 / sigmaS) * x - (alphaS1 * phi11) * modelS;
            modelS1 = modelFn(xS1, s1);
        }
        auto xS2 =
            (sigmaS2 / sigmaS) * x - (alphaS2 * phi12) * modelS + r2 / r1 * (alphaS2 * phi22) * (modelS1 - modelS);
        modelS2 = modelFn(xS2, s2);
        if (options_.taylor) {
            auto [d1, d2] = taylorDifferences(modelS, modelS1, modelS2, r1, r2);
            xt = (sigmaT / sigmaS) * x - (alphaT * phi1) * modelS + (alphaT * phi2) * d1 - (alphaT * phi3) * d2;
        } else {
            xt = (sigmaT / sigmaS) * x - (alphaT * phi1) * modelS + (1. / r2) * (alphaT * phi2) * (modelS2 - modelS);
        }
    } else {
        auto phi11 = torch::expm1(r1 * h);
        auto phi12 = torch::expm1(r2 * h);
        auto phi1 = torch::expm1(h);
        auto phi22 = torch::expm1(r2 * h) / (r2 * h) - 1.;
        auto phi2 = phi1 / h - 1.;
        auto phi3 = phi2 / h - 0.5;
        if (!modelS.defined()) modelS = modelFn(x, s);
        if (!modelS1.defined()) {
            auto xS1 = torch::exp(logAlphaS1 - logAlphaS) * x - (sigmaS1 * phi11) * modelS;
            modelS1 = modelFn(xS1, s1);
        }
        auto xS2 = torch::exp(logAlphaS2 - logAlphaS) * x - (sigmaS2 * phi12) * modelS -
                   r2 / r1 * (sigmaS2 * phi22) * (modelS1 - modelS);
        modelS2 = modelFn(xS2, s2);
        if (options_.taylor) {
            auto [d1, d2] = taylorDifferences(modelS, modelS1, modelS2, r1, r2);
            xt = torch::exp(logAlphaT - logAlphaS) * x - (sigmaT * phi1) * modelS - (sigmaT * phi2) * d1 -
                 (sigmaT * phi3) * d2;
        } else {
            xt = torch::exp(logAlphaT - logAlphaS) * x - (sigmaT * phi1) * modelS -
                 (1. / r2) * (sigmaT * phi2) * (modelS2 - modelS);
        }
    }
    return {xt, modelS, modelS1, modelS2};
}

torch::Tensor DpmSolver::multistepSecondUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                               const std::vector<torch::Tensor>& times, const torch::Tensor& t) {
    const size_t n = models.size();
    const auto& modelPrev1 = models[n - 2];
    const auto& modelPrev0 = models[n - 1];
    const auto& tPrev1 = times[n - 2];
    const auto& tPrev0 = times[n - 1];
    auto lambdaPrev1 = ns_.marginalLambda(tPrev1), lambdaPrev0 = ns_.marginalLambda(tPrev0),
         lambdaT = ns_.marginalLambda(t);
    auto logAlphaPrev0 = ns_.marginalLogMeanCoeff(tPrev0), logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto sigmaPrev0 = ns_.marginalStd(tPrev0), sigmaT = ns_.marginalStd(t);
    auto alphaT = torch::exp(logAlphaT);
    auto h0 = lambdaPrev0 - lambdaPrev1;
    auto h = lambdaT - lambdaPrev0;
    auto r0 = h0 / h;
    auto d10 = (1. / r0) * (modelPrev0 - modelPrev1);
    if (predictX0_) {
        auto phi1 = torch::expm1(-h);
        if (options_.taylor)
            return (sigmaT / sigmaPrev0) * x - (alphaT * phi1) * modelPrev0 + (alphaT * (phi1 / h + 1.)) * d10;
        return (sigmaT / sigmaPrev0) * x - (alphaT * phi1) * modelPrev0 - 0.5 * (alphaT * phi1) * d10;
    }
    auto phi1 = torch::expm1(h);
    if (options_.taylor)
        return torch::exp(logAlphaT - logAlphaPrev0) * x - (sigmaT * phi1) * modelPrev0 -
               (sigmaT * (phi1 / h - 1.)) * d10;
    return torch::exp(logAlphaT - logAlphaPrev0) * x - (sigmaT * phi1) * modelPrev0 - 0.5 * (sigmaT * phi1) * d10;
}

torch::Tensor DpmSolver::multistepThirdUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                              const std::vector<torch::Tensor>& times, const torch::Tensor& t) {
    const auto& modelPrev2 = models[0];
    const auto& modelPrev1 = models[1];
    const auto& modelPrev0 = models[2];
    auto lambdaPrev2 = ns_.marginalLambda(times[0]), lambdaPrev1 = ns_.marginalLambda(times[1]),
         lambdaPrev0 = ns_.marginalLambda(times[2]), lambdaT = ns_.marginalLambda(t);
    auto logAlphaPrev0 = ns_.marginalLogMeanCoeff(times[2]), logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto sigmaPrev0 = ns_.marginalStd(times[2]), sigmaT = ns_.marginalStd(t);
    auto alphaT = torch::exp(logAlphaT);
    auto h1 = lambdaPrev1 - lambdaPrev2;
    auto h0 = lambdaPrev0 - lambdaPrev1;
    auto h = lambdaT - lambdaPrev0;
    auto r0 = h0 / h, r1 = h1 / h;
    auto d10 = (1. / r0) * (modelPrev0 - modelPrev1);
    auto d11 = (1. / r1) * (modelPrev1 - modelPrev2);
    auto d1 = d10 + (r0 / (r0 + r1)) * (d10 - d11);
    auto d2 = (1. / (r0 + r1)) * (d10 - d11);
    if (predictX0_) {
        auto phi1 = torch::expm1(-h);
        auto phi2 = phi1 / h + 1.;
        auto phi3 = phi2 / h - 0.5;
        return (sigmaT / sigmaPrev0) * x - (alphaT * phi1) * modelPrev0 + (alphaT * phi2) * d1 - (alphaT * phi3) * d2;
    }
    auto phi1 = torch::expm1(h);
    auto phi2 = phi1 / h - 1.;
    auto phi3 = phi2 / h - 0.5;
    return torch::exp(logAlphaT - logAlphaPrev0) * x - (sigmaT * phi1) * modelPrev0 - (sigmaT * phi2) * d1 -
           (sigmaT * phi3) * d2;
}

torch::Tensor DpmSolver::multistepUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                         const std::vector<torch::Tensor>& times, const torch::Tensor& t, int order) {
    if (order == 1) return firstUpdate(x, times.back(), t, models.back()).x;
    if (order == 2) return multistepSecondUpdate(x, models, times, t);
    return multistepThirdUpdate(x, models, times, t);
}

torch::Tensor DpmSolver::sample(const torch::Tensor& xT, int steps, const SolverStepCallback& onStep,
                                const StopToken* stop) {
    switch (options_.method) {
    case api::SolverMethod::Adaptive: return sampleAdaptive(xT, onStep, stop);
    case api::SolverMethod::Multistep: return sampleMultistep(xT, steps, onStep, stop);
    case api::SolverMethod::Singlestep: return sampleSinglestep(xT, steps, false, onStep, stop);
    case api::SolverMethod::SinglestepFixed: return sampleSinglestep(xT, steps, true, onStep, stop);
    }
    throw Error("unknown DPM-Solver method");
}

torch::Tensor DpmSolver::sampleMultistep(torch::Tensor x, int steps, const SolverStepCallback& onStep,
                                         const StopToken* stop) {
    const int order = options_.order;
    if (steps < order)
        throw Error("multistep DPM-Solver of order " + std::to_string(order) + " needs at least " +
                    std::to_string(order) + " steps, got " + std::to_string(steps));
    const int count = steps + (options_.denoiseToZero ? 1 : 0);
    auto timesteps = timeSteps(options_.spacing, ns_.T(), ns_.tEnd(), steps);
    std::vector<torch::Tensor> times{timesteps[0]}, models{modelFn(x, timesteps[0])};
    for (int step = 1; step < order; ++step) {
        throwIfStopped(stop);
        auto t = timesteps[step];
        auto s = times.back();
        x = multistepUpdate(x, models, times, t, step);
        reportStep(onStep, step - 1, count, s, t, x);
        times.push_back(t);
        models.push_back(modelFn(x, t));
    }
    for (int step = order; step <= steps; ++step) {
        throwIfStopped(stop);
        auto t = timesteps[step];
        // The reference lowers the order of the final steps only for runs of fewer than 10 steps.
        const int stepOrder = options_.lowerOrderFinal && steps < 10 ? std::min(order, steps + 1 - step) : order;
        auto s = times.back();
        x = multistepUpdate(x, models, times, t, stepOrder);
        reportStep(onStep, step - 1, count, s, t, x);
        for (int i = 0; i + 1 < order; ++i) {
            times[i] = times[i + 1];
            models[i] = models[i + 1];
        }
        times.back() = t;
        if (step < steps) models.back() = modelFn(x, t);  // no evaluation after the last step
    }
    if (options_.denoiseToZero) x = denoiseToZero(x, ns_.tEnd(), onStep, steps, count);
    return x;
}

torch::Tensor DpmSolver::sampleSinglestep(torch::Tensor x, int steps, bool fixedOrder, const SolverStepCallback& onStep,
                                          const StopToken* stop) {
    const int order = options_.order;
    torch::Tensor outer;
    std::vector<int> orders;
    if (fixedOrder) {
        const int k = steps / order;
        if (k < 1)
            throw Error("fixed-order singlestep DPM-Solver of order " + std::to_string(order) + " needs at least " +
                        std::to_string(order) + " steps, got " + std::to_string(steps));
        orders.assign(static_cast<size_t>(k), order);
        outer = timeSteps(options_.spacing, ns_.T(), ns_.tEnd(), k);
    } else {
        if (steps < 1) throw Error("DPM-Solver needs at least one step");
        std::tie(outer, orders) = singlestepOrdersAndTimesteps(steps, order, ns_.T(), ns_.tEnd());
    }
    const int count = static_cast<int>(orders.size()) + (options_.denoiseToZero ? 1 : 0);
    for (size_t step = 0; step < orders.size(); ++step) {
        throwIfStopped(stop);
        const int stepOrder = orders[step];
        auto s = outer[static_cast<int64_t>(step)], t = outer[static_cast<int64_t>(step) + 1];
        auto inner = timeSteps(options_.spacing, s.item<double>(), t.item<double>(), stepOrder);
        auto lambdaInner = ns_.marginalLambda(inner);
        auto h = lambdaInner[stepOrder] - lambdaInner[0];
        if (stepOrder == 1) {
            x = firstUpdate(x, s, t).x;
        } else if (stepOrder == 2) {
            x = singlestepSecondUpdate(x, s, t, (lambdaInner[1] - lambdaInner[0]) / h).x;
        } else {
            x = singlestepThirdUpdate(x, s, t, (lambdaInner[1] - lambdaInner[0]) / h,
                                      (lambdaInner[2] - lambdaInner[0]) / h)
                    .x;
        }
        reportStep(onStep, static_cast<int>(step), count, s, t, x);
    }
    if (options_.denoiseToZero) x = denoiseToZero(x, ns_.tEnd(), onStep, static_cast<int>(orders.size()), count);
    return x;
}

torch::Tensor DpmSolver::adaptiveStepSize(const torch::Tensor& h, const torch::Tensor& e, int order,
                                          const torch::Tensor& lambda0, const torch::Tensor& lambdaS) {
    const double theta = 0.9;  // the reference's safety factor
    return torch::min(theta * h * torch::float_power(e, -1. / order).to(torch::kFloat), lambda0 - lambdaS);
}

torch::Tensor DpmSolver::sampleAdaptive(torch::Tensor x, const SolverStepCallback& onStep, const StopToken* stop) {
    // dpm_solver_adaptive with its defaults: h_init 0.05, t_err 1e-5 (theta: adaptiveStepSize).
    const double hInit = 0.05, tErr = 1e-5;
    const double tT = ns_.T(), t0 = ns_.tEnd();
    const int order = options_.order;
    auto s = tT * torch::ones({1}, x.options());
    auto lambdaS = ns_.marginalLambda(s);
    auto lambda0 = ns_.marginalLambda(t0 * torch::ones_like(s));
    auto h = hInit * torch::ones_like(s);
    auto xPrev = x;
    const auto r1 = scalarLike(order == 2 ? 0.5 : 1. / 3., s), r2 = scalarLike(2. / 3., s);
    int accepted = 0;
    while (torch::abs(s - t0).mean().item<double>() > tErr) {
        throwIfStopped(stop);
        auto t = ns_.inverseLambda(lambdaS + h);
        Update lower, higher;
        if (order == 2) {
            lower = firstUpdate(x, s, t);
            higher = singlestepSecondUpdate(x, s, t, r1, lower.modelS);
        } else {
            lower = singlestepSecondUpdate(x, s, t, r1);
            higher = singlestepThirdUpdate(x, s, t, r1, r2, lower.modelS, lower.modelS1);
        }
        auto delta = torch::max(torch::ones_like(x) * options_.atol,
                                options_.rtol * torch::max(torch::abs(lower.x), torch::abs(xPrev)));
        auto v = (higher.x - lower.x) / delta;
        auto e = torch::sqrt(torch::square(v.reshape({v.size(0), -1})).mean(-1, true)).max();
        if (torch::all(e <= 1.).item<bool>()) {
            auto previous = s;
            x = higher.x;
            s = t;
            xPrev = lower.x;
            lambdaS = ns_.marginalLambda(s);
            reportStep(onStep, accepted++, 0, previous, s, x);
        }
        h = adaptiveStepSize(h, e, order, lambda0, lambdaS);
    }
    if (options_.denoiseToZero) x = denoiseToZero(x, t0, onStep, accepted, 0);
    return x;
}

}  // namespace ds::diffusion
