// SPDX-License-Identifier: GPL-3.0-or-later
// How a long core job reports: progress with ETA, log lines and per-step frames. The CLI
// prints them; the UI turns them into queued signals. Callbacks run on the job's thread and
// must not block.
#pragma once
#include "core/api/image.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct JobProgress {
    int64_t done = 0;
    int64_t total = 0;
    std::string unit;  // what is counted: "steps", "images"
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;    // -1 while unknown
    double ratePerSecond = 0.0;  // units per second
};

// One frame of a sampler's trajectory: frame 0 is the initial noise x_T, frame k (1..steps)
// the state after k denoising steps with the x0 the model predicted at that step. Grids of
// the batch, in [0, 255].
// Flow matching: frame k is the ODE state at the k-th recorded time (`time`, from 0 = noise to
// 1 = data); `t` is then the frame index (-1 at time 1, the final sample), `modelT` -1, and
// `alphaCumprod` the alpha-bar of the diffusion state with the same signal-to-noise ratio.
struct TrajectoryFrame {
    int step = 0;   // frame index, 0 = x_T
    int steps = 0;  // denoising steps of the run (frames: steps + 1); 0: not known ahead (adaptive ODE solver)
    // The timestep of xt (-1: the final, clean sample) and the one the model saw to predict x0
    // (-1 for frame 0). The ODE solvers step between whole timesteps: then they have fractions.
    double t = 0;
    double modelT = -1;
    double alphaCumprod = 1;  // alpha-bar of xt (1 for the clean sample)
    double time = -1;         // flow matching: the ODE time of xt in [0, 1]; -1 for diffusion frames
    Image xt;
    Image x0;  // empty for frame 0 (and for flow frames: the ODE has no x0 prediction)
};

// One logged training step.
struct TrainMetrics {
    int64_t step = 0;  // optimizer steps done
    int64_t totalSteps = 0;
    double loss = 0.0;  // this step's loss
    double lr = 0.0;
    double gradNorm = 0.0;  // before clipping
    double imagesPerSecond = 0.0;
    double wallSeconds = 0.0;  // training time since the run started, across resumes
    int64_t epoch = 0;
    // This step's mean loss in each equal bucket of timesteps, small t first; NaN: no sample.
    std::vector<double> lossByTimestep;
};

// A training run's sample quality at a step: the FID (or a classifier's FD) of its EMA samples.
struct TrainFid {
    int64_t step = 0;
    double value = 0.0;
    std::string label;  // "FID" or e.g. "FD (fashion-mnist classifier, 128-d)"
    int samples = 0;
    double seconds = 0.0;       // sampling and features
    double wallSeconds = 0.0;   // training time when it was measured (as TrainMetrics::wallSeconds)
    double trainSeconds = 0.0;  // this session's training time, evaluations and previews not counted
    bool best = false;          // the lowest so far: checkpoints/best.pt holds these weights
    bool hasKid = false;        // KID was asked for (TrainConfig::fid.kid)
    double kid = 0.0;           // torch-fidelity's KID (mean over subsets) in the same features
    double kidStd = 0.0;
};

class JobSink {
public:
    virtual ~JobSink() = default;
    virtual void onProgress(const JobProgress&) {}
    virtual void onLog(const std::string&) {}
    virtual void onFrame(const TrajectoryFrame&) {}
    virtual void onMetrics(const TrainMetrics&) {}
    // A training run's preview grid of `step`, and the seconds sampling it took.
    virtual void onPreview(int64_t /*step*/, const Image& /*grid*/, double /*seconds*/) {}
    virtual void onFid(const TrainFid&) {}
    // True when the sink wants onFrame calls (building frames costs time).
    virtual bool wantsFrames() const { return false; }
};

}  // namespace ds::api
