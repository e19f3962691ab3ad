// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/dopri5_ode_solver.h"

#include "core/util/error.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ds::flow {

namespace {

// The Dormand-Prince tableau as torchdiffeq writes it.
constexpr std::array<double, 6> kAlpha{1. / 5, 3. / 10, 4. / 5, 8. / 9, 1., 1.};
const std::array<std::vector<double>, 6> kBeta{{
    {1. / 5},
    {3. / 40, 9. / 40},
    {44. / 45, -56. / 15, 32. / 9},
    {19372. / 6561, -25360. / 2187, 64448. / 6561, -212. / 729},
    {9017. / 3168, -355. / 33, 46732. / 5247, 49. / 176, -5103. / 18656},
    {35. / 384, 0, 500. / 1113, 125. / 192, -2187. / 6784, 11. / 84},
}};
// 5th-order weights minus 4th-order ones: the local error estimate.
constexpr std::array<double, 7> kError{35. / 384 - 1951. / 21600,
                                       0,
                                       500. / 1113 - 22642. / 50085,
                                       125. / 192 - 451. / 720,
                                       -2187. / 6784 - -12231. / 42400,
                                       11. / 84 - 649. / 6300,
                                       -1. / 60.};
// The midpoint weights of Shampine's dense output (torchdiffeq's DPS_C_MID).
constexpr std::array<double, 7> kMid{6025192743. / 30085553152 / 2,     0,
                                     51252292925. / 65400821598 / 2,    -2691868925. / 45128329728 / 2,
                                     187940372067. / 1594534317056 / 2, -1776094331. / 19743644256 / 2,
                                     11237099. / 235043384 / 2};

std::string timeText(double t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", t);
    return buf;
}

// Throws when the field returned NaN or infinity: the step-size control cannot recover from it
// (a NaN error estimate would otherwise read as "grow the step" and the loop run to its limit).
void requireFinite(const torch::Tensor& f, double t) {
    if (!torch::isfinite(f).all().item<bool>())
        throw Error("dopri5: the velocity field returned non-finite values (NaN or infinity) at t = " + timeText(t));
}

}  // namespace

// torchdiffeq does a step's scalar arithmetic in the state's dtype: it casts t0, dt, t1 and the
// tableau to it, so with a float32 state the stage times f32(t0) + f32(a) * f32(dt), the
// coefficients f32(b) * f32(dt) and the interpolation's powers are float32 operations (and
// the initial step is float32 throughout). Each operation is done here in double and rounded
// again, which equals the float32 operation exactly (double carries more than 2 * 24 + 2 bits).
// float64 states keep double arithmetic, as torchdiffeq does for them; half and bfloat16 states
// are rounded as float32 (torchdiffeq would round to their own type: an approximation).
struct Dopri5OdeSolver::Arithmetic {
    bool single = false;

    explicit Arithmetic(const torch::Tensor& state) : single(state.scalar_type() != torch::kDouble) {}
    double round(double v) const { return single ? static_cast<double>(static_cast<float>(v)) : v; }
    double mul(double a, double b) const { return round(round(a) * round(b)); }
    double add(double a, double b) const { return round(round(a) + round(b)); }
    // The largest representable value below t (torchdiffeq's Perturb.PREV for the a = 1 stages).
    double below(double t) const {
        return single
                   ? static_cast<double>(std::nextafter(static_cast<float>(t), -std::numeric_limits<float>::infinity()))
                   : std::nextafter(t, -std::numeric_limits<double>::infinity());
    }
};

Dopri5OdeSolver::Dopri5OdeSolver(double atol, double rtol) : atol_(atol), rtol_(rtol) {
    if (!(atol > 0) || !(rtol > 0)) throw Error("--atol and --rtol must be positive");
}

double Dopri5OdeSolver::rmsNorm(const torch::Tensor& x) const { return x.pow(2).mean().sqrt().item<double>(); }

// sum_j k[j] * (weights[j] * dt) as torchdiffeq's `torch.sum(k * (beta * dt), dim=-1)`: the
// products rounded the same way, and added in the order LibTorch's CPU sum adds the n <= 7
// terms of a short contiguous last dimension (cascade_sum's row_sum keeps four interleaved
// partial sums, adds the tail to the first, then the other three in order: for n = 7 that is
// x0, x4, x5, x6, x1, x2, x3; below 4 terms, plain order). Terms with weight 0 add nothing and
// are left out.
torch::Tensor Dopri5OdeSolver::weightedSum(const std::vector<torch::Tensor>& k, const double* weights, size_t n,
                                           double dt, const Arithmetic& a) {
    static constexpr size_t kLanes = 4;
    std::vector<size_t> order;
    if (n < kLanes) {
        for (size_t j = 0; j < n; ++j) order.push_back(j);
    } else {
        order.push_back(0);
        for (size_t j = kLanes; j < n; ++j) order.push_back(j);
        for (size_t j = 1; j < kLanes; ++j) order.push_back(j);
    }
    torch::Tensor sum;
    for (size_t j : order) {
        if (weights[j] == 0.0) continue;
        auto term = k[j] * a.mul(weights[j], dt);
        sum = sum.defined() ? sum + term : term;
    }
    return sum;
}

// Hairer & Wanner's initial step, as torchdiffeq's _select_initial_step computes it (in the
// state's dtype; its `0.01 / d` is Python's reciprocal-then-multiply).
double Dopri5OdeSolver::initialStep(const VelocityField& v, double t0, const torch::Tensor& y0, const torch::Tensor& f0,
                                    const Arithmetic& a) const {
    const auto scale = atol_ + y0.abs() * rtol_;
    const double d0 = rmsNorm(y0 / scale), d1 = rmsNorm(f0 / scale);
    const double h0 = (d0 < a.round(1e-5) || d1 < a.round(1e-5)) ? a.round(1e-6) : a.round(a.mul(0.01, d0) / d1);
    const double t = t0 + h0;  // float64 time plus the state-typed h0, as torchdiffeq
    const auto f1 = v(t, y0 + h0 * f0);
    requireFinite(f1, t);
    const double d2 = a.round(rmsNorm((f1 - f0) / scale) / h0);
    const int order = 4;  // torchdiffeq passes the solver's order minus one
    const double h1 = (d1 <= a.round(1e-15) && d2 <= a.round(1e-15))
                          ? std::max(a.round(1e-6), a.mul(h0, 1e-3))
                          : a.round(std::pow(a.mul(a.round(1.0 / std::max(d1, d2)), 0.01), 1.0 / (order + 1)));
    return std::min(a.mul(100, h0), h1);
}

Dopri5OdeSolver::StepResult Dopri5OdeSolver::rungeKuttaStep(const VelocityField& v, double t0, double dt,
                                                            const torch::Tensor& y0, const torch::Tensor& f0,
                                                            const Arithmetic& a) const {
    StepResult s;
    s.k.push_back(f0);
    s.times.push_back(t0);
    const double t1 = t0 + dt;  // in double, then cast, as torchdiffeq's t1
    torch::Tensor yi;
    for (size_t i = 0; i < kAlpha.size(); ++i) {
        // The two a = 1 stages are evaluated just below t1 (in case of a discontinuity there).
        const double ti = kAlpha[i] == 1.0 ? a.below(t1) : a.add(t0, a.mul(kAlpha[i], dt));
        yi = y0 + weightedSum(s.k, kBeta[i].data(), kBeta[i].size(), dt, a);
        s.k.push_back(v(ti, yi));
        s.times.push_back(ti);
    }
    // First same as last: the 5th-order solution is the last stage's input.
    s.y1 = yi;
    s.f1 = s.k.back();
    s.error = weightedSum(s.k, kError.data(), kError.size(), dt, a);
    return s;
}

double Dopri5OdeSolver::errorRatio(const StepResult& s, const torch::Tensor& y0) const {
    const auto tolerance = atol_ + rtol_ * torch::max(y0.abs(), s.y1.abs());
    return rmsNorm(s.error / tolerance);
}

double Dopri5OdeSolver::nextStep(double dt, double ratio) {
    if (ratio == 0) return dt * kIncreaseFactor;
    const double decrease = ratio < 1 ? 1.0 : kDecreaseFactor;
    return dt * std::min(kIncreaseFactor, std::max(kSafety / std::pow(ratio, 1.0 / 5), decrease));
}

std::vector<torch::Tensor> Dopri5OdeSolver::interpolant(const torch::Tensor& y0, const StepResult& s, double dt,
                                                        const Arithmetic& arith) {
    const auto yMid = y0 + weightedSum(s.k, kMid.data(), kMid.size(), dt, arith);
    const auto& f0 = s.k.front();
    const auto& f1 = s.k.back();
    const auto& y1 = s.y1;
    dt = arith.round(dt);
    auto a = 2 * dt * (f1 - f0) - 8 * (y1 + y0) + 16 * yMid;
    auto b = dt * (5 * f0 - 3 * f1) + 18 * y0 + 14 * y1 - 32 * yMid;
    auto c = dt * (f1 - 4 * f0) - 11 * y0 - 5 * y1 + 16 * yMid;
    auto d = dt * f0;
    return {y0, d, c, b, a};
}

torch::Tensor Dopri5OdeSolver::evaluate(const std::vector<torch::Tensor>& coeffs, double t0, double t1, double t,
                                        const Arithmetic& a) {
    const double x = a.round((t - t0) / (t1 - t0));
    auto total = coeffs[0] + x * coeffs[1];
    double power = x;
    for (size_t i = 2; i < coeffs.size(); ++i) {
        power = a.mul(power, x);
        total = total + power * coeffs[i];
    }
    return total;
}

void Dopri5OdeSolver::integrate(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times,
                                bool recordSteps, Recorder& recorder, OdeTrajectory& stats,
                                const StopToken* stop) const {
    const Arithmetic a(x0);
    const double tEnd = times.back();
    double t = times.front();
    torch::Tensor y = x0, f = v(t, x0);
    requireFinite(f, t);
    double dt = initialStep(v, t, y, f, a);
    size_t next = 1;
    for (int64_t attempts = 0; next < times.size(); ++attempts) {
        if (attempts >= kMaxSteps)
            throw Error("dopri5 gave up after " + std::to_string(kMaxSteps) + " steps; loosen --atol/--rtol");
        throwIfStopped(stop);
        if (!std::isfinite(dt) || !(dt > 0))
            throw Error("dopri5: the step size is not a positive finite number (dt = " + timeText(dt) +
                        ") at t = " + timeText(t));
        if (!(t + dt > t))
            throw Error("dopri5: the step size underflowed at t = " + timeText(t) + " (the field is too stiff)");
        if (!torch::isfinite(y).all().item<bool>())
            throw Error("dopri5: the state is not finite at t = " + timeText(t));
        // Steps may overshoot the last time: the interpolant brings the state back to it.
        const auto s = rungeKuttaStep(v, t, dt, y, f, a);
        const double ratio = errorRatio(s, y);
        if (!std::isfinite(ratio)) {
            // NaN or infinity from the field ends the run here; an infinite ratio from finite
            // stages (an overflowing error estimate) rejects the step and shrinks it, as
            // torchdiffeq does; a NaN from finite stages (inf - inf in the estimate) cannot be
            // stepped on.
            for (size_t i = 1; i < s.k.size(); ++i) requireFinite(s.k[i], s.times[i]);
            if (std::isnan(ratio))
                throw Error("dopri5: the error estimate is not a number at t = " + timeText(t) +
                            " (dt = " + timeText(dt) + "): the velocity field is too large");
        }
        if (observer_) observer_(Dopri5Attempt{t, dt, ratio <= 1, ratio});
        if (ratio <= 1) {
            ++stats.acceptedSteps;
            const double t1 = t + dt;
            const auto coeffs = interpolant(y, s, dt, a);
            if (recordSteps) {
                const bool reachedEnd = t1 >= tEnd;
                recorder.record(reachedEnd ? tEnd : t1, reachedEnd ? evaluate(coeffs, t, t1, tEnd, a) : s.y1);
                if (reachedEnd) next = times.size();
            } else {
                for (; next < times.size() && times[next] <= t1; ++next)
                    recorder.record(times[next], evaluate(coeffs, t, t1, times[next], a));
            }
            t = t1;
            y = s.y1;
            f = s.f1;
        } else {
            ++stats.rejectedSteps;
        }
        dt = nextStep(dt, ratio);
    }
}

}  // namespace ds::flow
