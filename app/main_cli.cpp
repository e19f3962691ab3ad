// diffusion-studio-cli: the headless front end. Wiring only: parse arguments, build the core
// requests, run them with a terminal progress bar, print results.
#include "app/terminal_progress.h"
#include "core/api/benchmarks.h"
#include "core/api/checkpoint_info.h"
#include "core/api/sampling.h"
#include "core/util/error.h"
#include "core/util/stop_token.h"
#include "core/util/thread_config.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace {

ds::StopToken gStop;

extern "C" void onSigint(int) { gStop.requestStop(); }

// The first line of an exception message (LibTorch's carry long backtraces).
std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

struct InfoArgs {
    std::string checkpoint;
    bool json = false;
};

int runInfo(const InfoArgs& a) {
    const auto info = ds::api::inspectCheckpoint(a.checkpoint);
    if (a.json) std::cout << info.details.dump(2) << "\n";
    else std::cout << info.toText();
    return 0;
}

void addSampleOptions(CLI::App* cmd, ds::api::SampleRequest& r) {
    cmd->add_option("--checkpoint", r.checkpoint, "checkpoint file (ours or a lucidrains model-N.pt)")->required();
    cmd->add_option("--image-size", r.imageSize, "image size, when the checkpoint does not record it");
    cmd->add_option("--sampler", r.sampler, "ddim or ddpm")->check(CLI::IsMember({"ddim", "ddpm"}));
    cmd->add_option("--steps", r.steps, "DDIM steps (default: the checkpoint's, else 50)");
    cmd->add_option("--eta", r.eta, "DDIM eta (0: deterministic)");
    cmd->add_option("--seed", r.seed, "random seed");
    cmd->add_option("--num", r.num, "number of images");
    cmd->add_option("--batch-size", r.batchSize, "images per batch");
    cmd->add_option("--weights", r.weights, "ema or online")->check(CLI::IsMember({"ema", "online"}));
    cmd->add_option("--objective", r.objective, "override the inferred objective")
        ->check(CLI::IsMember({"pred_noise", "pred_x0", "pred_v"}));
    cmd->add_option("--grid", r.gridPath, "write one grid PNG");
    cmd->add_option("--grid-columns", r.gridColumns, "images per grid row (default: square)");
    cmd->add_option("--out-dir", r.outDir, "write N numbered PNGs into this folder");
    cmd->add_option("--init-noise", r.initNoisePath, "PyTorch file holding x_T (N, C, H, W)");
    cmd->add_option("--save-tensors", r.saveTensorsPath, "write samples, x0_preds and xs to a PyTorch file");
    cmd->add_option("--device", r.device, "auto, cpu, cuda or cuda:N");
}

int runSample(const ds::api::SampleRequest& r) {
    if (r.gridPath.empty() && r.outDir.empty() && r.saveTensorsPath.empty())
        throw ds::Error("nothing to write: give --grid, --out-dir and/or --save-tensors");
    ds::app::TerminalProgress progress("sampling", isatty(STDERR_FILENO));
    const auto result = ds::api::runSampling(r, progress, gStop);
    progress.finish();
    std::fprintf(stderr, "%d images, %d steps, %.2f s (%.3f s per image)\n", result.images, result.steps,
                 result.seconds, result.seconds / std::max(1, result.images));
    for (const auto& f : result.files)
        if (result.files.size() <= 20 || f == r.gridPath || f == r.saveTensorsPath) std::cout << f << "\n";
    if (result.files.size() > 20 && !r.outDir.empty()) std::cout << r.outDir << " (" << result.images << " images)\n";
    return 0;
}

void addBenchSampleOptions(CLI::App* cmd, ds::api::SampleBenchOptions& o) {
    cmd->add_option("--ddim-steps", o.ddimSteps, "DDIM steps");
    cmd->add_option("--ddim-batch", o.ddimBatch, "DDIM batch size");
    cmd->add_option("--ddpm-batch", o.ddpmBatch, "DDPM batch size");
    cmd->add_option("--ddpm-measured-steps", o.ddpmMeasuredSteps,
                    "DDPM steps to time of the 1000 (the per-step cost is constant; 1000 runs them all)");
    cmd->add_option("--repeats", o.repeats, "best of N");
    cmd->add_option("--device", o.device, "cpu, cuda or cuda:N");
    cmd->add_flag("--channels-last", o.channelsLast, "run in channels-last memory format");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Diffusion Studio command line: inspect checkpoints, sample, benchmark."};
    app.set_version_flag("--version", std::string("diffusion-studio-cli ") + DS_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    int threads = 0;
    app.add_option("--threads", threads, "LibTorch threads (default: OMP_NUM_THREADS, else all cores)");

    InfoArgs infoArgs;
    auto* info = app.add_subcommand("info", "what a checkpoint holds: kind, architecture, step, weights");
    info->add_option("checkpoint", infoArgs.checkpoint, "checkpoint file")->required();
    info->add_flag("--json", infoArgs.json, "print JSON");

    ds::api::SampleRequest sampleRequest;
    auto* sample = app.add_subcommand("sample", "generate images from a diffusion checkpoint (DDIM or DDPM)");
    addSampleOptions(sample, sampleRequest);

    ds::api::SampleBenchOptions benchSampleOptions;
    auto* bench = app.add_subcommand("bench", "benchmarks that print JSON");
    bench->require_subcommand(1);
    auto* benchSample = bench->add_subcommand("sample", "seconds per image: DDIM-50 (batch 64), DDPM-1000 (batch 16)");
    addBenchSampleOptions(benchSample, benchSampleOptions);

    CLI11_PARSE(app, argc, argv);

    std::signal(SIGINT, onSigint);
    try {
        ds::configureThreads(threads);
        if (info->parsed()) return runInfo(infoArgs);
        if (sample->parsed()) return runSample(sampleRequest);
        if (benchSample->parsed()) {
            std::cout << ds::api::benchSample(benchSampleOptions).dump(2) << "\n";
            return 0;
        }
    } catch (const ds::Cancelled&) {
        std::fprintf(stderr, "\ncancelled\n");
        return 130;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", firstLine(e.what()).c_str());
        return 1;
    }
    return 0;
}
