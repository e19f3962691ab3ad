// How a long core job reports: progress with ETA, log lines and per-step frames. The CLI
// prints them; the UI turns them into queued signals. Callbacks run on the job's thread and
// must not block.
#pragma once
#include "core/api/image.h"

#include <cstdint>
#include <string>

namespace ds::api {

struct JobProgress {
    int64_t done = 0;
    int64_t total = 0;
    std::string unit;            // what is counted: "steps", "images"
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;    // -1 while unknown
    double ratePerSecond = 0.0;  // units per second
};

// One denoising step of a sampler: grids of the batch's x_t and predicted x0, in [0, 255].
struct DenoiseFrame {
    int step = 0;             // 0-based
    int steps = 0;
    int64_t t = 0;            // timestep the model saw
    double alphaCumprod = 0;  // alpha-bar at t
    Image xt;
    Image x0;
};

// One logged training step.
struct TrainMetrics {
    int64_t step = 0;        // optimizer steps done
    int64_t totalSteps = 0;
    double loss = 0.0;       // this step's loss
    double lr = 0.0;
    double gradNorm = 0.0;   // before clipping
    double imagesPerSecond = 0.0;
    double wallSeconds = 0.0;  // training time since the run started, across resumes
    int64_t epoch = 0;
};

class JobSink {
public:
    virtual ~JobSink() = default;
    virtual void onProgress(const JobProgress&) {}
    virtual void onLog(const std::string&) {}
    virtual void onFrame(const DenoiseFrame&) {}
    virtual void onMetrics(const TrainMetrics&) {}
    virtual void onPreview(int64_t /*step*/, const Image& /*grid*/) {}
    // True when the sink wants onFrame calls (building frames costs time).
    virtual bool wantsFrames() const { return false; }
};

}  // namespace ds::api
