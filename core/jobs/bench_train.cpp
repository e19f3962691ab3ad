// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/training.h"
#include "core/jobs/bench_model.h"
#include "core/train/gradient_averager.h"
#include "core/train/process_group.h"
#include "core/util/atomic_file.h"
#include "core/util/blas_threads.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace ds::api {

namespace {

double peakResidentMiB() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

nlohmann::json readReport(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw fileError(path, "the workers wrote no report");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw fileError(path, std::string("unreadable report: ") + e.what());
    }
}

}  // namespace

nlohmann::json benchTrain(const TrainBenchOptions& o, const DistributedRun* dist) {
    const auto device = parseDevice(o.device);
    auto model = jobs::makeBenchModel(1000, device);
    model->train();
    std::unique_ptr<train::ProcessGroup> group;
    std::unique_ptr<train::GradientAverager> averager;
    if (dist && dist->env.present) {
        group = std::make_unique<train::ProcessGroup>(dist->env, dist->options, device);
        std::vector<torch::Tensor> parameters = model->parameters();
        group->broadcastFromRankZero(parameters, "the parameter broadcast");
        averager = std::make_unique<train::GradientAverager>(model->parameters(), *group, dist->options.bucketMiB);
    }
    const int rank = group ? group->rank() : 0;
    const int worldSize = group ? group->worldSize() : 1;
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.99}));
    at::Generator gen = at::detail::createCPUGenerator(uint64_t(rank));
    auto images = torch::rand({o.batch, 1, 32, 32}, gen).to(device);

    int64_t stepIndex = 0;
    auto step = [&] {
        adam.zero_grad();
        auto loss = model->trainingLoss(images, gen);
        if (averager) averager->expectFinalBackward(++stepIndex);
        loss.backward();
        if (averager) averager->finish();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        adam.step();
        return loss.item<double>();
    };
    step();                                                                           // warm-up
    if (group) group->gatherRows(torch::zeros({1}), "the start of the timed steps");  // start together
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.steps; ++i) step();
    const double seconds = secondsSince(start);
    nlohmann::json report = {{"bench", "train"},
                             {"model", jobs::kBenchModelName},
                             {"image_size", 32},
                             {"batch", o.batch},
                             {"processes", worldSize},
                             {"device", device.str()},
                             {"threads", torch::get_num_threads()},
                             {"blas_threads", openBlasThreads()},  // 0: not OpenBLAS
                             {"steps", o.steps},
                             {"seconds", seconds},
                             {"seconds_per_step", seconds / o.steps},
                             {"images_per_sec", double(o.batch) * worldSize * o.steps / seconds},
                             {"peak_rss_mib", peakResidentMiB()}};
    int64_t parameters = 0;
    for (const auto& p : model->parameters()) parameters += p.numel();
    report["parameters"] = parameters;  // what the all-reduce moves: 4 bytes each
    if (group) {
        report["global_batch"] = o.batch * worldSize;
        report["dist_backend"] = group->backend();
        report["gradient_buckets"] = averager->bucketCount();
    }
    if (rank == 0 && !o.reportFile.empty()) writeFileAtomically(o.reportFile, report.dump(2) + "\n");
    return report;
}

nlohmann::json benchTrainScaling(const TrainBenchOptions& o, int nproc, std::vector<std::string> workerArgs,
                                 JobSink& sink, const StopToken& stop) {
    if (nproc < 2) throw Error("a scaling benchmark needs --nproc 2 or more");
    const int allThreads = torch::get_num_threads();
    const int shareThreads = std::max(1, allThreads / nproc);
    const auto whole = benchTrain(o);
    torch::set_num_threads(shareThreads);
    const auto share = benchTrain(o);
    torch::set_num_threads(allThreads);

    const auto reportFile = (std::filesystem::temp_directory_path() /
                             ("diffusion-studio-bench-train-" + std::to_string(getpid()) + ".json"))
                                .string();
    workerArgs.insert(workerArgs.end(), {"--threads", std::to_string(shareThreads), "--report", reportFile});
    LocalLaunch launch;
    launch.args = workerArgs;
    launch.nproc = nproc;
    const auto outcome = launchLocalWorkers(launch, sink, stop);
    if (outcome.exitCode != 0) throw Error("the benchmark's workers failed: " + outcome.message);
    const auto multi = readReport(reportFile);
    std::filesystem::remove(reportFile);

    const double multiRate = multi.at("images_per_sec").get<double>();
    const double shareRate = share.at("images_per_sec").get<double>();
    const double wholeRate = whole.at("images_per_sec").get<double>();
    return {{"bench", "train"},
            {"model", jobs::kBenchModelName},
            {"batch_per_process", o.batch},
            {"processes", nproc},
            {"cores", int(std::thread::hardware_concurrency())},
            {"one_process_all_threads", whole},
            {"one_process_share_threads", share},
            {"n_processes", multi},
            {"images_per_sec", multiRate},
            // torchrun's figure: N ranks against N times one rank with the same resources.
            {"scaling_efficiency", multiRate / (nproc * shareRate)},
            // What a user of this machine gains over one process that has every core.
            {"speedup_vs_one_process_all_threads", multiRate / wholeRate}};
}

}  // namespace ds::api
