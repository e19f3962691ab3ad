// "NFE vs quality": every chosen ODE solver at several step counts (dopri5 at several
// tolerances), each run's final state compared with a tight dopri5 reference from the same
// start. Shows what accuracy each function evaluation buys. Torch-free interface; the 2-D toy
// runs it through FlowToy::sweepSolvers, a flow-matching checkpoint through runSolverSweep.
#pragma once
#include "core/api/job_sink.h"
#include "core/api/sampling.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct SolverSweepRequest {
    std::vector<std::string> solvers{"euler", "midpoint", "rk4", "dopri5"};
    std::vector<int> steps{2, 4, 8, 16, 32, 64};            // fixed-grid solvers
    std::vector<double> tolerances{1e-2, 1e-3, 1e-4, 1e-5};  // dopri5: atol = rtol
    double referenceTolerance = 1e-7;                         // the reference dopri5's atol = rtol
};

struct SolverSweepPoint {
    std::string solver;
    int steps = 0;           // fixed-grid solvers; 0 for dopri5
    double tolerance = 0.0;  // dopri5; 0 for fixed-grid solvers
    int64_t nfe = 0;         // velocity evaluations of one run
    double error = 0.0;      // root mean square over all coordinates of (final state - reference)
    double seconds = 0.0;    // wall time of the run
};

struct SolverSweepResult {
    std::vector<SolverSweepPoint> points;  // in request order: solver by solver
    int64_t referenceNfe = 0;
    double referenceSeconds = 0.0;
};

// Throws ds::Error for unknown solvers or empty lists (naming what is wrong).
void validateSolverSweep(const SolverSweepRequest& request);

// On a flow-matching checkpoint: `sample` gives the checkpoint, weights, groups, device, seed,
// number of images and image size (or the initial noise file). Throws ds::Error naming the file
// when it is not a flow-matching checkpoint, ds::Cancelled when stopped.
SolverSweepResult runSolverSweep(const SampleRequest& sample, const SolverSweepRequest& sweep, JobSink& sink,
                                 const StopToken& stop);

}  // namespace ds::api
