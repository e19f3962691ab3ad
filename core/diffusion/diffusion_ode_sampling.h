// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' GaussianDiffusion (ours or an upstream checkpoint) sampled by a training-free ODE
// solver: DPM-Solver, DPM-Solver++ or UniPC on the model's own alpha-bar schedule, the network
// fed the discrete model time (t - 1/N) * N as the references' "discrete" wrapper does.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/diffusion/diffusion_ode_solver.h"
#include "core/diffusion/gaussian_diffusion.h"

#include <memory>

namespace ds::diffusion {

// The solver for a model: sampler is DpmSolver, DpmSolverPlusPlus or UniPC (else ds::Error).
// The solver keeps references to the model and the schedule: both must outlive it.
std::unique_ptr<DiffusionOdeSolver> makeDiffusionOdeSolver(GaussianDiffusionImpl& model,
                                                           const NoiseScheduleVP& schedule,
                                                           api::DiffusionSampler sampler,
                                                           const api::SolverOptions& options);

// The schedule a sampler uses: DPM-Solver's clips the cosine schedule's last knots, UniPC's not.
NoiseScheduleVP noiseScheduleFor(const GaussianDiffusionImpl& model, api::DiffusionSampler sampler,
                                 const torch::Device& device);

// Steps a run reports (0: not known ahead, the adaptive method); the evaluations a fixed run costs.
int solverStepCount(api::DiffusionSampler sampler, const api::SolverOptions& options, int steps);
int64_t solverEvaluationCount(api::DiffusionSampler sampler, const api::SolverOptions& options, int steps);

// Checks the options before any work: a clear error naming the option.
void validateSolverOptions(api::DiffusionSampler sampler, const api::SolverOptions& options, int steps);

}  // namespace ds::diffusion
