// SPDX-License-Identifier: GPL-3.0-or-later
// The NFE-vs-quality sweep of a diffusion checkpoint (see core/api/solver_sweep.h).
#pragma once
#include "core/api/solver_sweep.h"
#include "core/checkpoint/diffusion_checkpoint.h"

namespace ds::jobs {

api::SolverSweepResult runDiffusionSolverSweep(const api::SampleRequest& request,
                                               const checkpoint::DiffusionCheckpoint& ckpt,
                                               const api::SolverSweepRequest& sweep, api::JobSink& sink,
                                               const StopToken& stop);

}  // namespace ds::jobs
