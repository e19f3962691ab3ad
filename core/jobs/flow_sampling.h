// SPDX-License-Identifier: GPL-3.0-or-later
// The sampling job for flow-matching checkpoints: noise at t = 0 carried to data at t = 1 by
// the U-Net's velocity field and an ODE solver. runSampling (sample_job.cpp) routes here when
// the file holds a flow model.
#pragma once
#include "core/api/sampling.h"
#include "core/api/solver_sweep.h"
#include "core/checkpoint/flow_checkpoint.h"

namespace ds::jobs {

api::SampleResult runFlowSampling(const api::SampleRequest& request, const checkpoint::FlowCheckpoint& ckpt,
                                  api::JobSink& sink, const StopToken& stop);

// NFE vs quality on the checkpoint's velocity field, from the request's noise (all images in one
// batch).
api::SolverSweepResult runFlowSolverSweep(const api::SampleRequest& request, const checkpoint::FlowCheckpoint& ckpt,
                                          const api::SolverSweepRequest& sweep, api::JobSink& sink,
                                          const StopToken& stop);

}  // namespace ds::jobs
