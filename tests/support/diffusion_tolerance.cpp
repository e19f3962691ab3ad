// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/diffusion_tolerance.h"

#include "tests/support/reference_tensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ds::test {

namespace {

// The finite-difference step of the gains (model space, where |x| is a few units): large
// enough that the float32 rounding of the two runs (~1e-5 of x0 at the noisiest steps) is a few
// percent of the difference, small enough to stay linear away from x0's clipping.
constexpr double kGainStep = 1e-3;

double coefficient(const diffusion::GaussianDiffusionImpl& m, const char* buffer, int64_t t) {
    return m.buffer(buffer)[t].item<double>();
}

// A fixed pattern of +-1 like x: the direction the gains are measured along.
torch::Tensor signs(const torch::Tensor& like, uint64_t seed) {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    return torch::randint(0, 2, like.sizes(), gen, like.options()) * 2 - 1;
}

}  // namespace

double x0Gain(const std::string& objective, double ab) {
    if (objective == "pred_noise") return std::sqrt(1 / ab - 1);
    if (objective == "pred_v") return std::sqrt(1 - ab);
    return 1.0;  // pred_x0: x0 is the output
}

double x0Tolerance(const std::string& objective, double ab, double outTolerance, double maxX, double maxOut) {
    const double xCoefficient = objective == "pred_noise" ? std::sqrt(1 / ab)
                                : objective == "pred_v"   ? std::sqrt(ab)
                                                          : 0.0;
    const double outCoefficient = x0Gain(objective, ab);
    return outCoefficient * outTolerance +
           kArithmeticUlps * kFloat32Epsilon * (xCoefficient * maxX + outCoefficient * maxOut);
}

PmvTolerances pmvTolerances(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& x, int64_t t,
                            const torch::Tensor& referenceLogVariance) {
    const double maxOut = maxAbs(m.model()->forward(x, torch::full({x.size(0)}, t, torch::kLong))), maxX = maxAbs(x);
    const double x0 =
        x0Tolerance(m.config().objective, coefficient(m, "alphas_cumprod", t), unetTolerance(maxOut), maxX, maxOut);
    const double c1 = coefficient(m, "posterior_mean_coef1", t), c2 = coefficient(m, "posterior_mean_coef2", t);
    return {x0, c1 * x0 + kArithmeticUlps * kFloat32Epsilon * (c1 + c2 * maxX),
            kArithmeticUlps * kFloat32Epsilon * maxAbs(referenceLogVariance)};
}

double lossTolerance(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& xStart, const torch::Tensor& t,
                     const torch::Tensor& noise, double loss) {
    const double maxOut = maxAbs(m.model()->forward(m.qSample(xStart, t, noise), t));
    const double outTolerance =
        unetTolerance(maxOut) + kArithmeticUlps * kFloat32Epsilon * (maxAbs(xStart) + maxAbs(noise));
    const double maxWeight = maxAbs(m.buffer("loss_weight").gather(0, t));
    return 2 * outTolerance * std::sqrt(maxWeight * loss) + 16 * kFloat32Epsilon * loss;
}

DdimStep ddimStep(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& x, int64_t t, int64_t tNext,
                  const std::optional<torch::Tensor>& selfCond) {
    const auto times = torch::full({x.size(0)}, t, torch::kLong);
    const auto pred = m.modelPredictions(x, times, selfCond, true, true);
    if (tNext < 0) return {pred.predXStart, pred.predXStart};
    const double an = coefficient(m, "alphas_cumprod", tNext);
    return {pred.predXStart, pred.predXStart * std::sqrt(an) + std::sqrt(1 - an) * pred.predNoise};
}

DdimTolerances ddimTolerances(diffusion::GaussianDiffusionImpl& m,
                              const std::vector<std::pair<int64_t, int64_t>>& pairs, const torch::Tensor& refStates,
                              const torch::Tensor& refX0) {
    const std::string& objective = m.config().objective;
    const bool selfConditioned = m.model()->config().selfCondition;
    DdimTolerances out;
    double state = 0.0, previousX0 = 0.0;  // model space: the run's tolerance so far
    out.states.push_back(0.0);
    for (size_t i = 0; i < pairs.size(); ++i) {
        const auto [t, tNext] = pairs[i];
        const auto x = refStates[int64_t(i)] * 2 - 1;
        std::optional<torch::Tensor> selfCond;
        if (selfConditioned && i > 0) selfCond = refX0[int64_t(i) - 1] * 2 - 1;
        const double maxX = maxAbs(x) + 1;  // and x rebuilt from (x + 1) / 2
        const double maxOut = maxAbs(m.model()->forward(x, torch::full({x.size(0)}, t, torch::kLong), selfCond));
        const double ab = coefficient(m, "alphas_cumprod", t);
        const double x0Budget = x0Tolerance(objective, ab, unetTolerance(maxOut), maxX, maxOut);
        double stateBudget = x0Budget;
        if (tNext >= 0) {
            const double an = coefficient(m, "alphas_cumprod", tNext);
            const double s1 = coefficient(m, "sqrt_recip_alphas_cumprod", t),
                         s2 = coefficient(m, "sqrt_recipm1_alphas_cumprod", t);
            const double throughX0 = std::abs(std::sqrt(an) - std::sqrt(1 - an) / s2);
            const double rounding =
                kArithmeticUlps * kFloat32Epsilon * (std::sqrt(an) + std::sqrt(1 - an) * (s1 * maxX + 1) / s2);
            stateBudget = throughX0 * x0Budget + rounding;
        }
        // Gains: how much x0 and the next state move per unit of error in x and in the
        // self-conditioning input, along a fixed +-1 direction.
        const auto base = ddimStep(m, x, t, tNext, selfCond);
        const auto movedX = ddimStep(m, x + kGainStep * signs(x, 1000 + i), t, tNext, selfCond);
        const double gainX0 = maxAbsDiff(movedX.x0, base.x0) / kGainStep,
                     gainX = maxAbsDiff(movedX.next, base.next) / kGainStep;
        double gainSelfX0 = 0.0, gainSelf = 0.0;
        if (selfCond) {
            const auto movedS = ddimStep(m, x, t, tNext, *selfCond + kGainStep * signs(x, 2000 + i));
            gainSelfX0 = maxAbsDiff(movedS.x0, base.x0) / kGainStep;
            gainSelf = maxAbsDiff(movedS.next, base.next) / kGainStep;
        }
        const double x0Run = x0Budget + gainX0 * state + gainSelfX0 * previousX0;
        state = stateBudget + gainX * state + gainSelf * previousX0;
        previousX0 = x0Run;
        // Image space, (x + 1) / 2: half of each.
        out.stepX0.push_back(x0Budget / 2);
        out.stepState.push_back(stateBudget / 2);
        out.x0.push_back(x0Run / 2);
        out.states.push_back(state / 2);
        out.gainX.push_back(gainX);
        out.gainSelfCond.push_back(gainSelf);
    }
    return out;
}

}  // namespace ds::test
