// SPDX-License-Identifier: GPL-3.0-or-later
// The solver sweep behind core/api/solver_sweep.h, on any velocity field and start state.
#pragma once
#include "core/api/job_sink.h"
#include "core/api/solver_sweep.h"
#include "core/flow/ode_solver.h"
#include "core/util/stop_token.h"

namespace ds::flow {

// Runs the reference first, then every configuration, from x0 over t in [0, 1]; reports progress
// in runs. Throws Cancelled when stopped.
api::SolverSweepResult sweepSolvers(const VelocityField& v, const torch::Tensor& x0,
                                    const api::SolverSweepRequest& request, api::JobSink& sink, const StopToken& stop);

}  // namespace ds::flow
