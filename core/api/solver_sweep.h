// SPDX-License-Identifier: GPL-3.0-or-later
// "NFE vs quality": every chosen ODE solver at several step counts (dopri5 at several
// tolerances), each run's final state compared with a tight dopri5 reference from the same
// start. Shows what accuracy each function evaluation buys. Torch-free interface; the 2-D toy
// runs it through FlowToy::sweepSolvers, a flow-matching checkpoint through runSolverSweep.
// A diffusion checkpoint runs its samplers (DDIM, DPM-Solver++ 2M/3M, UniPC, ...) at several
// step counts against a converged solution of the same probability-flow ODE (DPM-Solver++ 3M
// with many steps).
#pragma once
#include "core/api/fid.h"
#include "core/api/job_sink.h"
#include "core/api/sampling.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds::api {

struct SolverSweepRequest {
    std::vector<std::string> solvers{"euler", "midpoint", "rk4", "dopri5"};
    std::vector<int> steps{2, 4, 8, 16, 32, 64};             // fixed-grid solvers
    std::vector<double> tolerances{1e-2, 1e-3, 1e-4, 1e-5};  // dopri5: atol = rtol
    double referenceTolerance = 1e-7;                        // the reference dopri5's atol = rtol

    // Diffusion checkpoints: sweep samplers (ddim, dpm-solver++2m, dpm-solver++3m,
    // dpm-solver++2s, dpm-solver3s, unipc2, unipc3: UniPC bh2) at these step counts (DDIM: at
    // most the model's T), against DPM-Solver++ 3M with referenceSteps steps.
    std::vector<std::string> diffusionSamplers{"ddim", "dpm-solver++2m", "dpm-solver++3m", "unipc3"};
    std::vector<int> diffusionSteps{5, 10, 20, 50, 100};
    int referenceSteps = 1000;

    // Diffusion checkpoints: also the FID of every run's images against fid->path2 (a folder, an
    // .npz of statistics or a built-in set such as fashion-mnist-test) in fid->features (Inception
    // or a feature classifier: then a Fréchet distance named by its space), the reference's
    // statistics computed once and cached as `fid` caches them. Meaningful with hundreds of images
    // or more (SampleRequest::num); the runs then go in batches of `batchSize`.
    std::optional<FidRequest> fid;
    int batchSize = 0;  // images per batch of every run; 0: all in one
};

// The sweep samplers of diffusion checkpoints, as named in SolverSweepRequest::diffusionSamplers:
// the sampler and its options; nullopt for an unknown name.
struct SweepSampler {
    DiffusionSampler sampler = DiffusionSampler::Ddim;
    SolverOptions options;
};
std::optional<SweepSampler> parseSweepSampler(const std::string& name);
inline constexpr const char* kSweepSamplerNames =
    "ddim, dpm-solver++2m, dpm-solver++3m, dpm-solver++2s, dpm-solver3s, unipc2 or unipc3";

struct SolverSweepPoint {
    std::string solver;
    int steps = 0;              // fixed-grid solvers; 0 for dopri5
    double tolerance = 0.0;     // dopri5; 0 for fixed-grid solvers
    int64_t nfe = 0;            // velocity evaluations of one run
    double error = 0.0;         // root mean square over all coordinates of (final state - reference)
    double seconds = 0.0;       // wall time of the run
    std::optional<double> fid;  // with SolverSweepRequest::fid: the run's FID (or FD) against the reference
};

struct SolverSweepResult {
    std::vector<SolverSweepPoint> points;  // in request order: solver by solver
    std::string reference;                 // what the errors are measured against, e.g. "dopri5 (tolerance 1e-07)"
    int64_t referenceNfe = 0;
    double referenceSeconds = 0.0;
    std::string fidLabel;      // with a FID reference: "FID" or e.g. "FD (fashion-mnist classifier, 128-d)"
    std::string fidReference;  // its path or built-in name
};

// Throws ds::Error for unknown solvers or empty lists (naming what is wrong).
void validateSolverSweep(const SolverSweepRequest& request);

// On a flow-matching or diffusion checkpoint: `sample` gives the checkpoint, weights, groups,
// device, seed, number of images and image size (or the initial noise file); every run starts
// from the same noise, all images in one batch. Throws ds::Error naming the file when it is not
// a checkpoint, ds::Cancelled when stopped.
SolverSweepResult runSolverSweep(const SampleRequest& sample, const SolverSweepRequest& sweep, JobSink& sink,
                                 const StopToken& stop);

}  // namespace ds::api
