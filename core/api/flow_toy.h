// SPDX-License-Identifier: GPL-3.0-or-later
// 2-D flow matching for teaching and for the app's trajectory page: a small MLP learns to carry
// a source cloud (8 Gaussians, or a standard Gaussian) to a target (two moons) along a chosen
// probability path; sampling it with a chosen ODE solver returns the point clouds along t with
// straightness, NFE and wall time. Trains in seconds on a CPU. Torch-free interface.
#pragma once
#include "core/api/job_sink.h"
#include "core/api/solver_sweep.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ds::api {

struct FlowToyConfig {
    std::string source = "8gaussians";  // 8gaussians | gaussian
    std::string target = "moons";       // moons | 8gaussians | gaussian
    std::string path = "otcfm";         // ot | icfm | otcfm | sbcfm | vp | target (torchcfm's names; ot: g4vrel/CFM's)
    double sigma = 0.1;                 // the path's sigma (sigma_min for ot and target)
    int hidden = 64;                    // MLP width (torchcfm's MLP: 3 hidden SELU layers)
    int trainSteps = 1500;
    int batchSize = 128;
    double lr = 1e-3;  // Adam
    uint64_t seed = 0;
};

// Points as interleaved x, y pairs.
struct PointCloud {
    std::vector<float> xy;
    size_t size() const { return xy.size() / 2; }
};

struct FlowToySolve {
    std::string solver = "euler";  // euler | midpoint | rk4 | rk4-38 | dopri5
    int steps = 20;                // fixed-grid steps
    double atol = 1e-5;            // dopri5
    double rtol = 1e-5;
    std::vector<double> times;  // where to record; empty: the solver's steps
};

struct FlowToyTrajectory {
    std::vector<double> times;       // increasing, from 0 to 1
    std::vector<PointCloud> clouds;  // clouds[k] at times[k]; point i is the same particle in every cloud
    double straightness = 0.0;       // mean over points of path length / end-to-end distance (1: straight)
    int64_t nfe = 0;
    double wallSeconds = 0.0;
    double energyDistance = 0.0;  // of the final cloud to a fresh target sample of the same size
};

struct FlowToyTrainReport {
    int steps = 0;
    double firstLoss = 0.0;  // mean over the first 50 steps
    double lastLoss = 0.0;   // mean over the last 50 steps
    double seconds = 0.0;
};

class FlowToy {
public:
    explicit FlowToy(const FlowToyConfig& config);  // throws ds::Error for unknown names
    ~FlowToy();
    FlowToy(FlowToy&&) noexcept;
    FlowToy& operator=(FlowToy&&) noexcept;

    const FlowToyConfig& config() const;

    // Trains the MLP (reporting progress and metrics every 50 steps); Cancelled when stopped.
    FlowToyTrainReport train(JobSink& sink, const StopToken& stop);

    // Carries `points` source points (drawn with `seed`) to t = 1. The same seed gives the same
    // source points whatever the solver, so configurations compare side by side.
    FlowToyTrajectory sample(const FlowToySolve& solve, int points, uint64_t seed) const;

    // NFE vs quality from the same `points` source points as sample(); see solver_sweep.h.
    SolverSweepResult sweepSolvers(const SolverSweepRequest& sweep, int points, uint64_t seed, JobSink& sink,
                                   const StopToken& stop) const;

    PointCloud sourceSamples(int points, uint64_t seed) const;
    PointCloud targetSamples(int points, uint64_t seed) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The energy distance between two point clouds: 2 E|X - Y| - E|X - X'| - E|Y - Y'| (0 for equal
// distributions).
double energyDistance(const PointCloud& a, const PointCloud& b);

}  // namespace ds::api
