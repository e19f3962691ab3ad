// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/ode_solver.h"

#include "core/flow/dopri5_ode_solver.h"
#include "core/flow/fixed_grid_ode_solver.h"
#include "core/util/error.h"

namespace ds::flow {

OdeMethod parseOdeMethod(const std::string& name) {
    if (name == "euler") return OdeMethod::Euler;
    if (name == "midpoint") return OdeMethod::Midpoint;
    if (name == "rk4") return OdeMethod::Rk4;
    if (name == "rk4-38") return OdeMethod::Rk4_38;
    if (name == "dopri5") return OdeMethod::Dopri5;
    throw Error("unknown solver '" + name + "' (expected euler, midpoint, rk4, rk4-38 or dopri5)");
}

std::string odeMethodName(OdeMethod method) {
    switch (method) {
    case OdeMethod::Euler: return "euler";
    case OdeMethod::Midpoint: return "midpoint";
    case OdeMethod::Rk4: return "rk4";
    case OdeMethod::Rk4_38: return "rk4-38";
    case OdeMethod::Dopri5: return "dopri5";
    }
    return "?";
}

bool isAdaptive(OdeMethod method) { return method == OdeMethod::Dopri5; }

void OdeSolver::Recorder::record(double t, const torch::Tensor& x) {
    trajectory.times.push_back(t);
    trajectory.states.push_back(x);
    if (onPoint) onPoint(static_cast<int>(trajectory.states.size()) - 1, t, x);
}

OdeTrajectory OdeSolver::solve(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times,
                               bool recordSteps, const OdePointCallback& onPoint, const StopToken* stop) const {
    if (times.size() < 2) throw Error("the ODE needs at least a start and an end time");
    for (size_t i = 1; i < times.size(); ++i)
        if (!(times[i] > times[i - 1])) throw Error("the requested times must be strictly increasing");
    OdeTrajectory trajectory;
    // Every evaluation goes through here: the NFE count cannot miss one.
    const VelocityField counted = [&](double t, const torch::Tensor& x) {
        ++trajectory.nfe;
        return v(t, x);
    };
    Recorder recorder{trajectory, onPoint};
    recorder.record(times.front(), x0);
    integrate(counted, x0, times, recordSteps, recorder, trajectory, stop);
    return trajectory;
}

std::unique_ptr<OdeSolver> OdeSolver::make(const OdeOptions& options) {
    if (options.method == OdeMethod::Dopri5) return std::make_unique<Dopri5OdeSolver>(options.atol, options.rtol);
    return std::make_unique<FixedGridOdeSolver>(options.method, options.steps);
}

}  // namespace ds::flow
