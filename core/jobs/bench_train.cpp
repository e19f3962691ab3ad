#include "core/api/training.h"

#include "core/jobs/bench_model.h"
#include "core/util/device.h"

#include <ATen/CPUGeneratorImpl.h>
#include <sys/resource.h>

#include <chrono>

namespace ds::api {

namespace {

double peakResidentMiB() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace

nlohmann::json benchTrain(const TrainBenchOptions& o) {
    const auto device = parseDevice(o.device);
    auto model = jobs::makeBenchModel(1000, device);
    model->train();
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.99}));
    at::Generator gen = at::detail::createCPUGenerator(0);
    auto images = torch::rand({o.batch, 1, 32, 32}, gen).to(device);

    auto step = [&] {
        adam.zero_grad();
        auto loss = model->trainingLoss(images, gen);
        loss.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        adam.step();
        return loss.item<double>();
    };
    step();  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.steps; ++i) step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {{"bench", "train"},
            {"model", jobs::kBenchModelName},
            {"image_size", 32},
            {"batch", o.batch},
            {"device", device.str()},
            {"threads", torch::get_num_threads()},
            {"steps", o.steps},
            {"seconds", seconds},
            {"seconds_per_step", seconds / o.steps},
            {"images_per_sec", double(o.batch) * o.steps / seconds},
            {"peak_rss_mib", peakResidentMiB()}};
}

}  // namespace ds::api
