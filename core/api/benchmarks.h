// SPDX-License-Identifier: GPL-3.0-or-later
// Benchmarks behind `diffusion-studio-cli bench ...`: each returns a JSON report.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ds::api {

struct SampleBenchOptions {
    int ddimSteps = 50;
    int ddimBatch = 64;                       // also the batch of the DPM-Solver++ runs
    std::vector<int> dpmSolverSteps{10, 20};  // DPM-Solver++ 2M (multistep, order 2, time-uniform)
    int ddpmSteps = 1000;                     // the schedule length T
    int ddpmBatch = 16;
    int ddpmMeasuredSteps = 100;  // timed steps of the T (the per-step cost is constant); T: all
    int repeats = 1;              // best of N for each measurement
    std::string device = "cpu";
    bool channelsLast = false;
    // Flow matching (see core/jobs/bench_model.h): torchcfm's UNetModel at 1x28x28 (the issue's
    // reference network), or g4vrel/CFM's flow U-Net (cfm) at 3x32x32.
    bool flow = true;
    std::string flowBackbone = "torchcfm";
    int flowBatch = 16;
    int flowEulerSteps = 50;
    double flowTolerance = 1e-5;  // dopri5 atol = rtol (g4vrel/CFM's)
};

// Seconds per image for DDIM, DPM-Solver++ 2M and DDPM sampling with lucidrains'
// Unet(dim=32, dim_mults=(1,2,4), channels=1) at 32x32 (random weights); for flow matching,
// Euler-50 seconds per image and dopri5 seconds per image per function evaluation.
nlohmann::json benchSample(const SampleBenchOptions& options);

// What a training preset's preview grid costs next to the training between two previews: a
// few optimizer steps at the preset's batch (random images, random weights), then one preview
// with the preset's sampler, steps and image count; for diffusion presets also with lucidrains'
// DDIM previews (its sampling_timesteps) for comparison.
struct PreviewBenchOptions {
    std::string preset = "tiny";
    int trainSteps = 2;  // timed optimizer steps (after one warm-up step)
    bool ddimComparison = true;
    std::string device = "cpu";
    // > 0: time the optimizer steps at this micro-batch and scale to the preset's batch (the
    // report says so), for presets whose batch does not fit in memory here (lsun128 on 24 GiB).
    int trainBatch = 0;
};
nlohmann::json benchPreview(const PreviewBenchOptions& options);

// Time to quality: a preset trained from scratch on Fashion-MNIST for `minutes` of training
// (its own clock: the measurements are not counted), and every `fidEveryMinutes` (and at the end)
// the Fréchet distance of `samples` images the EMA weights sample with `sampler` at `steps`,
// always from the same noise, against `reference` in `features`. The learning rate is the
// preset's after its warm-up, constant (a cosine decay needs a step count a time limit does not
// give). tests/tools/bench_python_quality.py runs the same recipe with lucidrains' code.
struct QualityBenchOptions {
    std::string preset = "tiny";
    double minutes = 20.0;
    double fidEveryMinutes = 2.0;
    int samples = 1000;
    DiffusionSampler sampler = DiffusionSampler::Ddim;
    int steps = 20;
    std::string reference = "fashion-mnist-test";
    std::string features = "fashion-mnist";
    uint64_t seed = 0;
    std::string runDir;  // "": a temporary run, removed afterwards
    std::string device = "cpu";
};
// JSON: the options, and per measurement its training minutes and seconds, wall seconds, step,
// distance and the seconds it took. Progress in measurements; a stop ends it with the points so far.
nlohmann::json benchQuality(const QualityBenchOptions& options, JobSink& sink, const StopToken& stop);

// What classifier-free guidance costs per image on a class-conditional checkpoint (ours or a
// reference's: lucidrains' CFG Unet, or a flow that learned a null class): the same batch, classes
// and starting noise sampled with the conditional model alone (W = 1: one network evaluation of B
// images per step) and guided (W = scale: the class and the null class evaluated together as one
// batch of 2B per step). Best of `repeats`, after one warm-up run of each.
struct GuidanceBenchOptions {
    std::string checkpoint;
    std::string sampler;  // diffusion: ddim (default) or another sampler; flows: an ODE solver (default euler)
    int steps = 50;       // sampler steps
    int batch = 64;
    double scale = 4.0;  // the guided run's W
    int imageSize = 0;   // 0: the checkpoint's (files that do not record it need it)
    int repeats = 1;
    std::string device = "cpu";
};
nlohmann::json benchGuidance(const GuidanceBenchOptions& options);

}  // namespace ds::api
