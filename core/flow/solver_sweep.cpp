// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/solver_sweep.h"

#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <chrono>
#include <cstdio>

namespace ds::flow {

namespace {

struct TimedSolve {
    torch::Tensor final;
    int64_t nfe = 0;
    double seconds = 0.0;
};

TimedSolve timedSolve(const OdeOptions& options, const VelocityField& v, const torch::Tensor& x0,
                      const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    const auto trajectory = OdeSolver::make(options)->solve(v, x0, {0.0, 1.0}, false, {}, &stop);
    TimedSolve out;
    out.seconds = secondsSince(start);
    out.final = trajectory.states.back();
    out.nfe = trajectory.nfe;
    return out;
}

OdeOptions adaptive(double tolerance) {
    OdeOptions o;
    o.method = OdeMethod::Dopri5;
    o.atol = tolerance;
    o.rtol = tolerance;
    return o;
}

// Every run of the sweep, in request order.
std::vector<std::pair<OdeOptions, api::SolverSweepPoint>> plannedRuns(const api::SolverSweepRequest& r) {
    std::vector<std::pair<OdeOptions, api::SolverSweepPoint>> runs;
    for (const auto& name : r.solvers) {
        const OdeMethod method = parseOdeMethod(name);
        api::SolverSweepPoint point;
        point.solver = odeMethodName(method);
        if (isAdaptive(method)) {
            for (double tolerance : r.tolerances) {
                point.tolerance = tolerance;
                runs.emplace_back(adaptive(tolerance), point);
            }
            continue;
        }
        for (int steps : r.steps) {
            OdeOptions o;
            o.method = method;
            o.steps = steps;
            point.steps = steps;
            runs.emplace_back(o, point);
        }
    }
    return runs;
}

}  // namespace

api::SolverSweepResult sweepSolvers(const VelocityField& v, const torch::Tensor& x0,
                                    const api::SolverSweepRequest& request, api::JobSink& sink, const StopToken& stop) {
    api::validateSolverSweep(request);
    c10::InferenceMode inference;
    const auto runs = plannedRuns(request);
    ProgressMeter meter(static_cast<int64_t>(runs.size()) + 1, "runs");
    const auto reference = timedSolve(adaptive(request.referenceTolerance), v, x0, stop);
    sink.onProgress(meter.at(1));
    api::SolverSweepResult result;
    char tolerance[32];
    std::snprintf(tolerance, sizeof tolerance, "%g", request.referenceTolerance);
    result.reference = std::string("dopri5, tolerance ") + tolerance;
    result.referenceNfe = reference.nfe;
    result.referenceSeconds = reference.seconds;
    for (const auto& [options, planned] : runs) {
        const auto run = timedSolve(options, v, x0, stop);
        auto point = planned;
        point.nfe = run.nfe;
        point.seconds = run.seconds;
        point.error = (run.final - reference.final).to(torch::kDouble).pow(2).mean().sqrt().item<double>();
        result.points.push_back(point);
        sink.onProgress(meter.at(static_cast<int64_t>(result.points.size()) + 1));
    }
    return result;
}

}  // namespace ds::flow

namespace ds::api {

void validateSolverSweep(const SolverSweepRequest& r) {
    if (r.solvers.empty()) throw Error("the solver sweep needs at least one solver");
    bool fixedGrid = false, adaptiveSolver = false;
    for (const auto& name : r.solvers)
        (flow::isAdaptive(flow::parseOdeMethod(name)) ? adaptiveSolver : fixedGrid) = true;
    if (fixedGrid && r.steps.empty()) throw Error("the solver sweep needs step counts for its fixed-grid solvers");
    for (int steps : r.steps)
        if (steps < 1) throw Error("the solver sweep's step counts must be at least 1");
    if (adaptiveSolver && r.tolerances.empty()) throw Error("the solver sweep needs tolerances for dopri5");
    for (double tolerance : r.tolerances)
        if (!(tolerance > 0)) throw Error("the solver sweep's tolerances must be positive");
    if (!(r.referenceTolerance > 0)) throw Error("the reference tolerance must be positive");
}

}  // namespace ds::api
