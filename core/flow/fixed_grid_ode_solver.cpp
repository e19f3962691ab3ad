// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/fixed_grid_ode_solver.h"

#include "core/util/error.h"

namespace ds::flow {

FixedGridOdeSolver::FixedGridOdeSolver(OdeMethod method, int steps) : method_(method), steps_(steps) {
    if (isAdaptive(method)) throw Error(odeMethodName(method) + " is not a fixed-grid method");
    if (steps < 0) throw Error("--steps must not be negative");
}

torch::Tensor FixedGridOdeSolver::step(const VelocityField& v, double t0, double dt, const torch::Tensor& y0) const {
    switch (method_) {
    case OdeMethod::Euler: return dt * v(t0, y0);
    case OdeMethod::Midpoint: {
        const double half = 0.5 * dt;
        const auto k1 = v(t0, y0);
        return dt * v(t0 + half, y0 + half * k1);
    }
    case OdeMethod::Rk4: {
        const double half = 0.5 * dt;
        const auto k1 = v(t0, y0);
        const auto k2 = v(t0 + half, y0 + half * k1);
        const auto k3 = v(t0 + half, y0 + half * k2);
        const auto k4 = v(t0 + dt, y0 + dt * k3);
        return (k1 + 2 * (k2 + k3) + k4) * (dt / 6.0);
    }
    case OdeMethod::Rk4_38: {
        // torchdiffeq's rk4_alt_step_func, term for term.
        const double third = 1.0 / 3.0;
        const auto k1 = v(t0, y0);
        const auto k2 = v(t0 + dt * third, y0 + dt * third * k1);
        const auto k3 = v(t0 + dt * 2.0 * third, y0 + dt * (k2 - third * k1));
        const auto k4 = v(t0 + dt, y0 + dt * (k1 - k2 + k3));
        return (k1 + 3 * (k2 + k3) + k4) * (dt * 0.125);
    }
    case OdeMethod::Dopri5: break;
    }
    throw Error("not a fixed-grid method");
}

std::vector<double> FixedGridOdeSolver::grid(const std::vector<double>& times) const {
    if (steps_ == 0) return times;
    // An equal grid (torchdiffeq's step_size grid builds the same points, but can gain a
    // spurious tiny last step from rounding in ceil((t1 - t0) / h + 1)).
    std::vector<double> g(steps_ + 1);
    const double t0 = times.front(), t1 = times.back();
    for (int i = 0; i <= steps_; ++i) g[i] = t0 + (t1 - t0) * i / steps_;
    g.back() = t1;
    return g;
}

void FixedGridOdeSolver::integrate(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times,
                                   bool recordSteps, Recorder& recorder, OdeTrajectory& stats,
                                   const StopToken* stop) const {
    const auto g = grid(times);
    auto y0 = x0;
    size_t next = 1;  // the next requested time to record
    for (size_t i = 0; i + 1 < g.size(); ++i) {
        throwIfStopped(stop);
        const double t0 = g[i], t1 = g[i + 1];
        const auto y1 = y0 + step(v, t0, t1 - t0, y0);
        ++stats.acceptedSteps;
        if (recordSteps) {
            recorder.record(t1, y1);
        } else {
            for (; next < times.size() && t1 >= times[next]; ++next) {
                const double t = times[next];
                if (t == t0) recorder.record(t, y0);
                else if (t == t1) recorder.record(t, y1);
                else recorder.record(t, y0 + ((t - t0) / (t1 - t0)) * (y1 - y0));
            }
        }
        y0 = y1;
    }
}

}  // namespace ds::flow
