// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/benchmarks.h"
#include "core/diffusion/diffusion_ode_sampling.h"
#include "core/flow/ode_solver.h"
#include "core/jobs/bench_model.h"
#include "core/util/blas_threads.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

namespace ds::api {

namespace {

// Seconds for `measured` steps of DDPM (stopping the sampler early through its stop token).
double timeDdpmSteps(diffusion::GaussianDiffusionImpl& model, const torch::Tensor& xT, int measured) {
    at::Generator gen = at::detail::createCPUGenerator(0);
    StopToken stop;
    int done = 0;
    const auto start = std::chrono::steady_clock::now();
    try {
        model.ddpmSample(
            xT, gen,
            [&](const diffusion::DenoiseStep&) {
                if (++done >= measured) stop.requestStop();
            },
            &stop);
    } catch (const Cancelled&) {
    }
    return secondsSince(start);
}

struct FlowTiming {
    double seconds = 0.0;
    int64_t nfe = 0;
};

// Best of `repeats` solves of one batch from the same noise with the flow bench model.
FlowTiming timeFlowSolve(const jobs::FlowBenchModel& model, const flow::OdeOptions& ode, int batch, int repeats,
                         const torch::Device& device) {
    const flow::VelocityField v = [&model](double t, const torch::Tensor& x) {
        return model.net.forward(x, torch::full({x.size(0)}, t, x.options()));
    };
    const auto solver = flow::OdeSolver::make(ode);
    at::Generator gen = at::detail::createCPUGenerator(0);
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), model.imageShape.begin(), model.imageShape.end());
    const auto x0 = torch::randn(shape, gen).to(device);
    v(0.0, x0);  // warm-up: first calls allocate and pick kernels
    FlowTiming best{1e300, 0};
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto traj = solver->solve(v, x0, {0.0, 1.0}, true);
        traj.states.back().cpu();
        const double s = secondsSince(start);
        if (s < best.seconds) best = {s, traj.nfe};
    }
    return best;
}

nlohmann::json benchFlow(const SampleBenchOptions& o, const torch::Device& device) {
    auto model = jobs::makeFlowBenchModel(flow::parseBackbone(o.flowBackbone), device);
    if (o.channelsLast) model.net.setChannelsLast(true);
    flow::OdeOptions euler;
    euler.method = flow::OdeMethod::Euler;
    euler.steps = o.flowEulerSteps;
    const auto e = timeFlowSolve(model, euler, o.flowBatch, o.repeats, device);
    flow::OdeOptions dopri5;
    dopri5.method = flow::OdeMethod::Dopri5;
    dopri5.atol = dopri5.rtol = o.flowTolerance;
    const auto d = timeFlowSolve(model, dopri5, o.flowBatch, o.repeats, device);
    nlohmann::json report{{"model", model.name},
                          {"channels_last", o.channelsLast},
                          {"batch", o.flowBatch},
                          {"euler",
                           {{"steps", o.flowEulerSteps},
                            {"nfe", e.nfe},
                            {"seconds", e.seconds},
                            {"seconds_per_image", e.seconds / o.flowBatch}}},
                          {"dopri5",
                           {{"atol", o.flowTolerance},
                            {"rtol", o.flowTolerance},
                            {"nfe", d.nfe},
                            {"seconds", d.seconds},
                            {"seconds_per_image", d.seconds / o.flowBatch},
                            {"seconds_per_image_per_nfe", d.seconds / o.flowBatch / std::max<int64_t>(1, d.nfe)}}}};
    if (o.flowBackbone == "torchcfm")
        report["python_reference"] = {{"note", "torchcfm UNetModel, 32 channels, this machine, from the issue"},
                                      {"euler50_seconds_per_image", 0.48},
                                      {"dopri5_seconds_per_image_per_nfe", 0.0097}};
    return report;
}

}  // namespace

nlohmann::json benchSample(const SampleBenchOptions& o) {
    c10::InferenceMode inference;
    const auto device = parseDevice(o.device);
    const auto memoryFormat = o.channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    auto model = jobs::makeBenchModel(o.ddpmSteps, device);
    model->eval();
    if (o.channelsLast) model->model()->setChannelsLast(true);

    // Warm-up: first calls allocate and pick kernels.
    auto warm = torch::randn({o.ddimBatch, 1, 32, 32}).to(device).contiguous(memoryFormat);
    model->model()->forward(warm, torch::zeros({o.ddimBatch}, torch::kLong).to(device));

    double ddimBest = 1e300;
    for (int i = 0; i < o.repeats; ++i) {
        at::Generator gen = at::detail::createCPUGenerator(0);
        auto xT = torch::randn({o.ddimBatch, 1, 32, 32}, gen).to(device).contiguous(memoryFormat);
        const auto start = std::chrono::steady_clock::now();
        auto out = model->ddimSample(xT, o.ddimSteps, 0.0, gen);
        out.cpu();
        ddimBest = std::min(ddimBest, secondsSince(start));
    }

    // DPM-Solver++ 2M from the same noise, at each step count.
    nlohmann::json dpm = nlohmann::json::array();
    const auto schedule = diffusion::noiseScheduleFor(*model, DiffusionSampler::DpmSolverPlusPlus, device);
    for (int steps : o.dpmSolverSteps) {
        double best = 1e300;
        int64_t nfe = 0;
        for (int i = 0; i < o.repeats; ++i) {
            at::Generator gen = at::detail::createCPUGenerator(0);
            auto xT = torch::randn({o.ddimBatch, 1, 32, 32}, gen).to(device).contiguous(memoryFormat);
            auto solver = diffusion::makeDiffusionOdeSolver(*model, schedule, DiffusionSampler::DpmSolverPlusPlus, {});
            const auto start = std::chrono::steady_clock::now();
            solver->sample(xT, steps).cpu();
            best = std::min(best, secondsSince(start));
            nfe = solver->nfe();
        }
        dpm.push_back({{"steps", steps},
                       {"nfe", nfe},
                       {"batch", o.ddimBatch},
                       {"seconds", best},
                       {"seconds_per_image", best / o.ddimBatch}});
    }

    const int measured = std::min(o.ddpmMeasuredSteps, o.ddpmSteps);
    double ddpmBest = 1e300;
    for (int i = 0; i < o.repeats; ++i) {
        auto xT = torch::randn({o.ddpmBatch, 1, 32, 32}).to(device).contiguous(memoryFormat);
        ddpmBest = std::min(ddpmBest, timeDdpmSteps(*model, xT, measured));
    }
    const double ddpmFull = ddpmBest * o.ddpmSteps / measured;

    nlohmann::json report = {{"bench", "sample"},
                             {"model", jobs::kBenchModelName},
                             {"image_size", 32},
                             {"device", device.str()},
                             {"threads", torch::get_num_threads()},
                             {"blas_threads", openBlasThreads()},  // 0: not OpenBLAS
                             {"channels_last", o.channelsLast},
                             {"repeats", o.repeats},
                             {"ddim",
                              {{"steps", o.ddimSteps},
                               {"batch", o.ddimBatch},
                               {"seconds", ddimBest},
                               {"seconds_per_image", ddimBest / o.ddimBatch}}},
                             {"dpm_solver_pp_2m", dpm},
                             {"ddpm",
                              {{"steps", o.ddpmSteps},
                               {"batch", o.ddpmBatch},
                               {"measured_steps", measured},
                               {"measured_seconds", ddpmBest},
                               {"extrapolated", measured < o.ddpmSteps},
                               {"seconds_per_image", ddpmFull / o.ddpmBatch}}}};
    if (o.flow) report["flow"] = benchFlow(o, device);
    return report;
}

}  // namespace ds::api
