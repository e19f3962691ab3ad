// SPDX-License-Identifier: GPL-3.0-or-later
// 2-D flow matching for teaching and for the app's trajectory page: a small MLP learns to carry
// a source cloud (8 Gaussians, or a standard Gaussian) to a target (two moons) along a chosen
// probability path; sampling it with a chosen ODE solver returns the point clouds along t with
// straightness, NFE and wall time. Trains in seconds on a CPU. Torch-free interface.
//
// Class-conditional: with the 8 Gaussians as the target, each target point's class is the index
// (0..7) of the Gaussian it came from; the MLP also takes a class (8: the null class, "no class")
// and, trained with label dropout, learns both v(x, t, y) and the unconditional v(x, t, null).
// Sampling then steers particles to a class with classifier-free guidance of scale W:
// v = v(x, t, null) + W (v(x, t, y) - v(x, t, null)).
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
    // Class-conditional (target 8gaussians only, else ds::Error): a training label becomes the
    // null class with probability condDropProb (in [0, 1]), so the model learns the unconditional
    // field too. Minibatch couplings (otcfm, sbcfm) reorder the target rows; the labels follow.
    bool conditional = false;
    double condDropProb = 0.2;
};

// FlowToySolve::classLabel beside a class 0 .. classes - 1:
inline constexpr int kToyNullClass = -1;   // no class: the unconditional field (the only choice without classes)
inline constexpr int kToyEveryClass = -2;  // particle i gets class i mod classes: every class in one picture

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
    // Conditional toys: the class every particle is steered to, kToyEveryClass or kToyNullClass.
    int classLabel = kToyNullClass;
    // Classifier-free guidance W (finite): 1 is the conditional model alone (one evaluation per
    // step); otherwise the conditional and null-class fields are evaluated as one batch of 2B and
    // combined. W = 0 is the unconditional field; W > 1 pushes further towards the class.
    double guidanceScale = 1.0;
};

struct FlowToyTrajectory {
    std::vector<double> times;       // increasing, from 0 to 1
    std::vector<PointCloud> clouds;  // clouds[k] at times[k]; point i is the same particle in every cloud
    double straightness = 0.0;       // mean over points of path length / end-to-end distance (1: straight)
    int64_t nfe = 0;
    double wallSeconds = 0.0;
    // Of the final cloud to a fresh target sample of the same size: with a class, a sample of
    // that class (of each particle's class for kToyEveryClass).
    double energyDistance = 0.0;
    std::vector<int> classes;  // particle i's class when conditional (8: the null class); empty otherwise
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

    // The number of classes: 8 when conditional, 0 otherwise.
    int classes() const;

    // Carries `points` source points (drawn with `seed`) to t = 1. The same seed gives the same
    // source points whatever the solver (and class and guidance), so configurations compare side
    // by side. Throws ds::Error for a class the toy does not have or a non-finite scale.
    FlowToyTrajectory sample(const FlowToySolve& solve, int points, uint64_t seed) const;

    // The (guided) velocity field the solvers integrate, at `points` and time t: the class and
    // scale as in FlowToySolve.
    PointCloud velocity(const PointCloud& points, double t, int classLabel = kToyNullClass,
                        double guidanceScale = 1.0) const;
    // The same with a class per point: classes[i] in 0 .. classes() - 1, or classes() for the null
    // class. Lets a caller evaluate any mix of classes as one batch.
    PointCloud velocityWithClasses(const PointCloud& points, double t, const std::vector<int>& classes,
                                   double guidanceScale = 1.0) const;

    // NFE vs quality from the same `points` source points as sample(), in the field of the given
    // class and guidance scale; see solver_sweep.h.
    SolverSweepResult sweepSolvers(const SolverSweepRequest& sweep, int points, uint64_t seed, JobSink& sink,
                                   const StopToken& stop, int classLabel = kToyNullClass,
                                   double guidanceScale = 1.0) const;

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
