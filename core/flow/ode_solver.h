// SPDX-License-Identifier: GPL-3.0-or-later
// Solving dx/dt = v(t, x) from the first requested time to the last: the fixed-grid methods and
// adaptive dopri5 as torchdiffeq implements them (its `rk4` is the 3/8 rule: here "rk4-38";
// "rk4" is the classic one). Every solver counts function evaluations and records the state at
// the requested times, or at its own steps when none are requested.
#pragma once
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ds::flow {

// v(t, x): the velocity at time t for the batch x (same shape as x).
using VelocityField = std::function<torch::Tensor(double t, const torch::Tensor& x)>;

enum class OdeMethod { Euler, Midpoint, Rk4, Rk4_38, Dopri5 };

// "euler" | "midpoint" | "rk4" | "rk4-38" | "dopri5"; parse throws ds::Error for other names.
OdeMethod parseOdeMethod(const std::string& name);
std::string odeMethodName(OdeMethod method);
bool isAdaptive(OdeMethod method);

struct OdeOptions {
    OdeMethod method = OdeMethod::Euler;
    // Fixed-grid methods: equal steps from the first to the last requested time; 0: step from
    // requested time to requested time (torchdiffeq without step_size). Ignored by dopri5.
    int steps = 0;
    double atol = 1e-5;  // dopri5 tolerances (g4vrel/CFM samples with 1e-5 / 1e-5)
    double rtol = 1e-5;
};

// The recorded states: states[k] at times[k]; states[0] is the initial state.
struct OdeTrajectory {
    std::vector<double> times;
    std::vector<torch::Tensor> states;
    int64_t nfe = 0;  // velocity evaluations
    int64_t acceptedSteps = 0;
    int64_t rejectedSteps = 0;  // dopri5 only
};

// Called once per recorded point, as soon as it is known (index into the trajectory).
using OdePointCallback = std::function<void(int index, double t, const torch::Tensor& x)>;

class OdeSolver {
public:
    virtual ~OdeSolver() = default;

    // Integrates from times.front() to times.back() (increasing). `times` empty or of size 1 is
    // an error; with recordSteps the solver records at its own steps instead of at `times`
    // (only the first and last entries of `times` are used then). Throws Cancelled when `stop`
    // is set between steps.
    OdeTrajectory solve(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times,
                        bool recordSteps = false, const OdePointCallback& onPoint = {},
                        const StopToken* stop = nullptr) const;

    static std::unique_ptr<OdeSolver> make(const OdeOptions& options);

protected:
    // Records a point into the trajectory and reports it.
    struct Recorder {
        OdeTrajectory& trajectory;
        const OdePointCallback& onPoint;
        void record(double t, const torch::Tensor& x);
    };
    virtual void integrate(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times,
                           bool recordSteps, Recorder& recorder, OdeTrajectory& stats, const StopToken* stop) const = 0;
};

}  // namespace ds::flow
