// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/uni_pc.h"

#include "core/util/error.h"

namespace ds::diffusion {

UniPC::UniPC(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule, const api::SolverOptions& options)
    : DiffusionOdeSolver(std::move(network), output, schedule, options.unipcPredictX0, options) {
    if (options.order < 1 || options.order > 3)
        throw Error("UniPC's order must be 1, 2 or 3, got " + std::to_string(options.order));
    if (options.method != api::SolverMethod::Multistep) throw Error("UniPC is a multistep method");
}

UniPC::Update UniPC::bhUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                              const std::vector<torch::Tensor>& times, torch::Tensor t, int order, bool useCorrector) {
    if (t.dim() == 0) t = t.view({-1});
    const size_t n = models.size();
    const auto& tPrev0 = times[n - 1];
    auto lambdaPrev0 = ns_.marginalLambda(tPrev0);
    auto lambdaT = ns_.marginalLambda(t);
    const auto& modelPrev0 = models[n - 1];
    auto sigmaPrev0 = ns_.marginalStd(tPrev0), sigmaT = ns_.marginalStd(t);
    auto logAlphaPrev0 = ns_.marginalLogMeanCoeff(tPrev0), logAlphaT = ns_.marginalLogMeanCoeff(t);
    auto alphaT = torch::exp(logAlphaT);
    auto h = lambdaT - lambdaPrev0;

    std::vector<float> rks;
    std::vector<torch::Tensor> d1s;
    for (int i = 1; i < order; ++i) {
        const auto& tPrevI = times[n - 1 - static_cast<size_t>(i)];
        const auto& modelPrevI = models[n - 1 - static_cast<size_t>(i)];
        auto lambdaPrevI = ns_.marginalLambda(tPrevI);
        auto rk = (lambdaPrevI - lambdaPrev0) / h;
        rks.push_back(rk.item<float>());
        d1s.push_back((modelPrevI - modelPrev0) / rk);
    }
    rks.push_back(1.f);
    auto rksT = torch::tensor(rks, torch::TensorOptions().dtype(torch::kFloat32)).to(x.device());

    auto hh = predictX0_ ? -h : h;
    auto hPhi1 = torch::expm1(hh);  // h phi_1(h) = e^h - 1
    auto hPhiK = hPhi1 / hh - 1;
    int64_t factorial = 1;
    const auto bH = options_.unipcVariant == api::UniPCVariant::Bh1 ? hh : torch::expm1(hh);
    std::vector<torch::Tensor> rRows, bEntries;
    for (int i = 1; i <= order; ++i) {
        rRows.push_back(torch::pow(rksT, i - 1));
        bEntries.push_back(hPhiK * double(factorial) / bH);
        factorial *= (i + 1);
        hPhiK = hPhiK / hh - 1. / double(factorial);
    }
    auto r = torch::stack(rRows);
    auto b = torch::cat(bEntries);

    torch::Tensor d1sStacked, rhosP, rhosC;
    if (!d1s.empty()) {
        d1sStacked = torch::stack(d1s, 1);  // (B, K, C, H, W)
        rhosP = order == 2 ? torch::tensor({0.5f}).to(b.device())
                           : torch::linalg::solve(r.slice(0, 0, -1).slice(1, 0, -1), b.slice(0, 0, -1), true);
    }
    if (useCorrector) rhosC = order == 1 ? torch::tensor({0.5f}).to(b.device()) : torch::linalg::solve(r, b, true);

    // The two algorithm types differ in the exponential integrator's first-order part and scale.
    torch::Tensor xtFirst, scale;
    if (predictX0_) {
        xtFirst = sigmaT / sigmaPrev0 * x - alphaT * hPhi1 * modelPrev0;
        scale = alphaT;
    } else {
        xtFirst = torch::exp(logAlphaT - logAlphaPrev0) * x - sigmaT * hPhi1 * modelPrev0;
        scale = sigmaT;
    }
    torch::Tensor xt = xtFirst;
    if (d1sStacked.defined()) xt = xtFirst - scale * bH * torch::einsum("k,bkchw->bchw", {rhosP, d1sStacked});
    torch::Tensor modelT;
    if (useCorrector) {
        modelT = modelFn(xt, t);
        auto d1t = modelT - modelPrev0;
        auto last = rhosC.slice(0, rhosC.size(0) - 1);
        if (d1sStacked.defined()) {
            auto corrRes = torch::einsum("k,bkchw->bchw", {rhosC.slice(0, 0, -1), d1sStacked});
            xt = xtFirst - scale * bH * (corrRes + last * d1t);
        } else {
            xt = xtFirst - scale * bH * (last * d1t);
        }
    }
    return {xt, modelT};
}

torch::Tensor UniPC::sample(const torch::Tensor& xT, int steps, const SolverStepCallback& onStep,
                            const StopToken* stop) {
    const int order = options_.order;
    if (steps < order)
        throw Error("UniPC of order " + std::to_string(order) + " needs at least " + std::to_string(order) +
                    " steps, got " + std::to_string(steps));
    const int count = steps + (options_.denoiseToZero ? 1 : 0);
    auto timesteps = timeSteps(options_.spacing, ns_.T(), ns_.tEnd(), steps);
    torch::Tensor x = xT;
    std::vector<torch::Tensor> times{timesteps[0]}, models{modelFn(x, timesteps[0])};
    for (int step = 1; step < order; ++step) {
        throwIfStopped(stop);
        auto t = timesteps[step];
        auto s = times.back();
        auto update = bhUpdate(x, models, times, t, step, true);
        x = update.x;
        if (!update.modelT.defined()) update.modelT = modelFn(x, t);
        reportStep(onStep, step - 1, count, s, t, x);
        times.push_back(t);
        models.push_back(update.modelT);
    }
    for (int step = order; step <= steps; ++step) {
        throwIfStopped(stop);
        auto t = timesteps[step];
        const int stepOrder = options_.lowerOrderFinal ? std::min(order, steps + 1 - step) : order;
        const bool useCorrector = step != steps;  // no corrector at the last step
        auto s = times.back();
        auto update = bhUpdate(x, models, times, t, stepOrder, useCorrector);
        x = update.x;
        reportStep(onStep, step - 1, count, s, t, x);
        for (int i = 0; i + 1 < order; ++i) {
            times[i] = times[i + 1];
            models[i] = models[i + 1];
        }
        times.back() = t;
        if (step < steps) models.back() = update.modelT.defined() ? update.modelT : modelFn(x, t);
    }
    if (options_.denoiseToZero) x = denoiseToZero(x, ns_.tEnd(), onStep, steps, count);
    return x;
}

}  // namespace ds::diffusion
