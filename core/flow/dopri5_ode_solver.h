// SPDX-License-Identifier: GPL-3.0-or-later
// Adaptive Dormand-Prince 5(4) with torchdiffeq's step-size control, so that g4vrel/CFM's
// `odeint(..., method="dopri5", atol, rtol)` is reproduced: its initial step selection
// (Hairer & Wanner), an RMS error norm against atol + rtol * max(|y0|, |y1|), safety 0.9,
// growth at most 10x, shrink at least 0.2x (no shrink limit applies to accepted steps), FSAL
// (6 evaluations per step), and the 4th-order interpolant of the step to requested times.
// With a float32 state its scalar arithmetic is float32 as torchdiffeq's (stage times, tableau
// products, initial step, interpolation powers) and its sums add in LibTorch's order, so that
// with the same field it takes the very same steps (tests/fixtures/dopri5). A field that returns
// NaN or infinity ends the run with ds::Error naming the time.
#pragma once
#include "core/flow/ode_solver.h"

#include <functional>

namespace ds::flow {

// One step attempt, as torchdiffeq's callback_step and callback_accept_step /
// callback_reject_step report it: where it started, its size, whether it was accepted.
struct Dopri5Attempt {
    double t0 = 0.0;
    double dt = 0.0;
    bool accepted = false;
    double errorRatio = 0.0;  // the RMS error over the tolerance (accepted when <= 1)
};
using Dopri5AttemptObserver = std::function<void(const Dopri5Attempt&)>;

class Dopri5OdeSolver : public OdeSolver {
public:
    Dopri5OdeSolver(double atol, double rtol);

    static constexpr double kSafety = 0.9;
    static constexpr double kIncreaseFactor = 10.0;
    static constexpr double kDecreaseFactor = 0.2;
    static constexpr int64_t kMaxSteps = 1000000;

    // Called after every step attempt (tests compare the step-size controller with torchdiffeq's).
    void setAttemptObserver(Dopri5AttemptObserver observer) { observer_ = std::move(observer); }

protected:
    void integrate(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times, bool recordSteps,
                   Recorder& recorder, OdeTrajectory& stats, const StopToken* stop) const override;

private:
    struct Arithmetic;  // the state dtype's scalar arithmetic (float32 or float64)
    struct StepResult {
        torch::Tensor y1, f1, error;
        std::vector<torch::Tensor> k;  // the 7 stages, k[0] = f(t0, y0), k[6] = f(t1, y1)
        std::vector<double> times;     // where each stage was evaluated
    };

    double rmsNorm(const torch::Tensor& x) const;
    static torch::Tensor weightedSum(const std::vector<torch::Tensor>& k, const double* weights, size_t n, double dt,
                                     const Arithmetic& a);
    double initialStep(const VelocityField& v, double t0, const torch::Tensor& y0, const torch::Tensor& f0,
                       const Arithmetic& a) const;
    StepResult rungeKuttaStep(const VelocityField& v, double t0, double dt, const torch::Tensor& y0,
                              const torch::Tensor& f0, const Arithmetic& a) const;
    double errorRatio(const StepResult& s, const torch::Tensor& y0) const;
    static double nextStep(double dt, double errorRatio);
    // Coefficients [y0, d, c, b, a] of the 4th-order interpolant over the step.
    static std::vector<torch::Tensor> interpolant(const torch::Tensor& y0, const StepResult& s, double dt,
                                                  const Arithmetic& a);
    static torch::Tensor evaluate(const std::vector<torch::Tensor>& coeffs, double t0, double t1, double t,
                                  const Arithmetic& a);

    double atol_, rtol_;
    Dopri5AttemptObserver observer_;
};

}  // namespace ds::flow
