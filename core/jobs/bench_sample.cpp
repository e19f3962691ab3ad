#include "core/api/benchmarks.h"

#include "core/jobs/bench_model.h"
#include "core/util/device.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

namespace ds::api {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds for `measured` steps of DDPM (stopping the sampler early through its stop token).
double timeDdpmSteps(diffusion::GaussianDiffusionImpl& model, const torch::Tensor& xT, int measured) {
    at::Generator gen = at::detail::createCPUGenerator(0);
    StopToken stop;
    int done = 0;
    const auto start = std::chrono::steady_clock::now();
    try {
        model.ddpmSample(xT, gen, [&](const diffusion::DenoiseStep&) {
            if (++done >= measured) stop.requestStop();
        }, &stop);
    } catch (const Cancelled&) {
    }
    return secondsSince(start);
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

    const int measured = std::min(o.ddpmMeasuredSteps, o.ddpmSteps);
    double ddpmBest = 1e300;
    for (int i = 0; i < o.repeats; ++i) {
        auto xT = torch::randn({o.ddpmBatch, 1, 32, 32}).to(device).contiguous(memoryFormat);
        ddpmBest = std::min(ddpmBest, timeDdpmSteps(*model, xT, measured));
    }
    const double ddpmFull = ddpmBest * o.ddpmSteps / measured;

    return {{"bench", "sample"},
            {"model", jobs::kBenchModelName},
            {"image_size", 32},
            {"device", device.str()},
            {"threads", torch::get_num_threads()},
            {"channels_last", o.channelsLast},
            {"repeats", o.repeats},
            {"ddim", {{"steps", o.ddimSteps}, {"batch", o.ddimBatch}, {"seconds", ddimBest},
                      {"seconds_per_image", ddimBest / o.ddimBatch}}},
            {"ddpm", {{"steps", o.ddpmSteps}, {"batch", o.ddpmBatch}, {"measured_steps", measured},
                      {"measured_seconds", ddpmBest}, {"extrapolated", measured < o.ddpmSteps},
                      {"seconds_per_image", ddpmFull / o.ddpmBatch}}}};
}

}  // namespace ds::api
