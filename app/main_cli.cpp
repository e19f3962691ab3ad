// SPDX-License-Identifier: GPL-3.0-or-later
// diffusion-studio-cli: the headless front end. Wiring only: parse arguments, build the core
// requests, run them with a terminal progress bar, print results.
#include "app/terminal_progress.h"
#include "core/api/benchmarks.h"
#include "core/api/checkpoint_info.h"
#include "core/api/classify.h"
#include "core/api/distributed.h"
#include "core/api/event_file_sink.h"
#include "core/api/feature_network.h"
#include "core/api/fid.h"
#include "core/api/lmdb_import.h"
#include "core/api/neighbours.h"
#include "core/api/sampling.h"
#include "core/api/solver_sweep.h"
#include "core/jobs/train_jobs.h"
#include "core/util/allocator_tuning.h"
#include "core/util/error.h"
#include "core/util/stop_token.h"
#include "core/util/thread_config.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>

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

// An option whose value is one of a closed set: the names of core/api's table, checked by CLI11.
template <typename E, size_t N>
CLI::Option* addChoice(CLI::App* cmd, const std::string& name, E& value, const ds::api::names::Table<E, N>& table,
                       const std::string& help) {
    const std::string choices = ds::api::names::choices(table);
    auto toNumber = [table, choices](std::string& text) -> std::string {
        const auto parsed = ds::api::names::parse(table, text);
        if (!parsed) return "'" + text + "' is not one of " + choices;
        text = std::to_string(static_cast<int>(*parsed));  // CLI11 reads the enum from its number
        return {};
    };
    return cmd->add_option(name, value, help + ": " + choices)->transform(CLI::Validator(toNumber, "", ""));
}

// Counts and sizes: at least 1 (0 and negatives are refused by name, with the range).
const CLI::Range kAtLeastOne(1, std::numeric_limits<int>::max());
const CLI::Range kAtLeastOne64(int64_t(1), std::numeric_limits<int64_t>::max());

void addDiffusionSolverOptions(CLI::App* cmd, ds::api::SampleRequest& r) {
    auto& o = r.solverOptions;
    const std::string group = "Diffusion ODE solvers (dpm-solver, dpm-solver++, unipc)";
    cmd->add_option("--order", o.order, "solver order (default 2; the adaptive method: 2 or 3)")
        ->check(CLI::Range(1, 3))
        ->group(group);
    addChoice(cmd, "--method", o.method, ds::api::names::kMethods, "DPM-Solver's method (default multistep)")
        ->group(group);
    addChoice(cmd, "--skip", o.spacing, ds::api::names::kSpacings, "time-step spacing (default time-uniform)")
        ->group(group);
    addChoice(cmd, "--unipc-variant", o.unipcVariant, ds::api::names::kUniPCVariants, "UniPC's B(h) (default bh2)")
        ->group(group);
    cmd->add_flag("--unipc-noise-prediction{false}", o.unipcPredictX0,
                  "UniPC on noise predictions (algorithm_type noise_prediction) instead of data predictions")
        ->group(group);
    cmd->add_flag("--taylor", o.taylor, "DPM-Solver's 'taylor' solver type instead of 'dpmsolver'")->group(group);
    cmd->add_flag("!--no-lower-order-final", o.lowerOrderFinal,
                  "keep the full order on the last steps (DPM-Solver lowers it only below 10 steps)")
        ->group(group);
    cmd->add_flag("--denoise-to-zero", o.denoiseToZero, "one more evaluation: the x0 predicted at t = 1/N")
        ->group(group);
    addChoice(cmd, "--clip-x0", o.x0Correction, ds::api::names::kX0Corrections,
              "correct each data prediction (default none; clip: to [-1, 1] as lucidrains' DDIM; dynamic: Imagen's "
              "thresholding)")
        ->group(group);
}

// Class-conditional checkpoints: which classes, and classifier-free guidance.
void addConditioningOptions(CLI::App* cmd, ds::api::ClassConditioning& c) {
    const std::string group = "Class-conditional models";
    auto* one = cmd->add_option_function<int>(
                       "--class", [&c](int k) { c.classes = {k}; }, "the class of every image")
                    ->check(CLI::NonNegativeNumber)
                    ->group(group);
    cmd->add_option("--classes", c.classes,
                    "classes, image i gets the (i mod count)-th, e.g. 0,3,7 "
                    "(default: every class in turn)")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber)
        ->excludes(one)
        ->group(group);
    cmd->add_option("--class-name", c.className, "a class by the name the checkpoint records")
        ->excludes(one)
        ->group(group);
    cmd->add_flag("--row-per-class", c.rowPerClass,
                  "a grid of one row per class, max(1, num / classes) columns, the same noise down each column")
        ->excludes(one)
        ->group(group);
    cmd->add_option("--cond-scale", c.condScale,
                    "guidance scale W (1: the conditional model alone; diffusion: default 6, lucidrains' "
                    "sample(); flows with a null class: v_null + W (v_y - v_null), default 1)")
        ->check(CLI::NonNegativeNumber)
        ->group(group);
    cmd->add_option("--rescaled-phi", c.rescaledPhi,
                    "diffusion: rescale the guided output towards the conditional one's spread "
                    "(Lin et al. 2023; default 0.7)")
        ->check(CLI::Range(0.0, 1.0))
        ->group(group);
    cmd->add_option("--keep-parallel-frac", c.keepParallelFrac,
                    "keep this fraction of the guidance update's component along the conditional output (default 0)")
        ->check(CLI::Range(0.0, 1.0))
        ->group(group);
    cmd->add_flag("!--no-remove-parallel", c.removeParallelComponent,
                  "textbook guidance: keep the update's parallel component")
        ->group(group);
    cmd->add_flag("--cfg-plus-plus", c.cfgPlusPlus, "CFG++: DDPM/DDIM renoise with the null class's prediction")
        ->group(group);
}

void addSampleOptions(CLI::App* cmd, ds::api::SampleRequest& r) {
    cmd->add_option("--checkpoint", r.checkpoint,
                    "checkpoint file (ours, a lucidrains model-N.pt or g4vrel/CFM's flow-matching .tar)")
        ->required();
    cmd->add_option("--image-size", r.imageSize,
                    "image size, when the checkpoint does not record it (flows: also read from --init-noise)")
        ->check(CLI::Range(1, 8192));
    addChoice(cmd, "--sampler", r.sampler, ds::api::names::kSamplers, "diffusion sampler (default ddim)");
    cmd->add_option("--steps", r.steps,
                    "DDIM steps (default: the checkpoint's, else 50); dpm-solver(++)/unipc: model evaluations "
                    "(default 20); flows: fixed-grid solver steps (default 50)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--eta", r.eta, "DDIM eta (0: deterministic)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--seed", r.seed, "random seed");
    cmd->add_option("--num", r.num, "number of images")->check(kAtLeastOne);
    cmd->add_option("--batch-size", r.batchSize, "images per batch")->check(kAtLeastOne);
    addChoice(cmd, "--weights", r.weights, ds::api::names::kWeights, "the checkpoint's weights (default ema)");
    cmd->add_option("--objective", r.objective, "override the inferred objective")
        ->check(CLI::IsMember({"pred_noise", "pred_x0", "pred_v"}));
    cmd->add_option("--grid", r.gridPath, "write one grid PNG");
    cmd->add_option("--grid-columns", r.gridColumns, "images per grid row (default: square)")->check(kAtLeastOne);
    cmd->add_option("--out-dir", r.outDir, "write N numbered PNGs into this folder");
    cmd->add_option("--init-noise", r.initNoisePath, "PyTorch file holding x_T (N, C, H, W)");
    cmd->add_option("--save-tensors", r.saveTensorsPath, "write samples, x0_preds and xs to a PyTorch file");
    cmd->add_option("--device", r.device, "auto, cpu, cuda or cuda:N");
    // Flow-matching checkpoints.
    cmd->add_option("--solver", r.solver, "flows: ODE solver (default dopri5; rk4-38 is torchdiffeq's rk4)")
        ->check(CLI::IsMember({"euler", "midpoint", "rk4", "rk4-38", "dopri5"}));
    // One pair of tolerances for the two adaptive solvers, each with its own default.
    cmd->add_option_function<double>(
           "--atol", [&r](double v) { r.atol = r.solverOptions.atol = v; },
           "absolute tolerance of flows' dopri5 (default 1e-5) and of the adaptive DPM-Solver "
           "(default 0.0078)")
        ->check(CLI::PositiveNumber);
    cmd->add_option_function<double>(
           "--rtol", [&r](double v) { r.rtol = r.solverOptions.rtol = v; },
           "relative tolerance of flows' dopri5 (default 1e-5) and of the adaptive DPM-Solver "
           "(default 0.05)")
        ->check(CLI::PositiveNumber);
    addDiffusionSolverOptions(cmd, r);
    cmd->add_option("--times", r.times, "flows: record the trajectory at these times, e.g. 0,0.5,1")->delimiter(',');
    cmd->add_option("--groups", r.groups, "flows: GroupNorm groups of g4vrel/CFM's U-Net (default 32)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--heads", r.heads,
                    "attention heads of torchcfm's UNetModel (num_heads) and of the class-conditional Unet's middle "
                    "attention (attn_heads, default 4)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--head-channels", r.headChannels,
                    "channels per attention head: torchcfm's UNetModel (num_head_channels; default 64), the "
                    "class-conditional Unet (attn_dim_head; default 32)")
        ->check(CLI::PositiveNumber);
    addConditioningOptions(cmd, r.conditioning);
    cmd->add_option("--attention-order", r.attentionOrder,
                    "torchcfm's UNetModel: legacy (default) or new (use_new_attention_order)")
        ->check(CLI::IsMember({"legacy", "new"}));
}

// `sweep`: NFE vs quality of a checkpoint's samplers (diffusion) or ODE solvers (flows), as JSON.
struct SweepArgs {
    ds::api::SampleRequest sample;
    ds::api::SolverSweepRequest sweep;
    std::string out;
    ds::api::FidRequest fid;  // fid.path2: --fid-reference
};

void addSweepOptions(CLI::App* cmd, SweepArgs& a) {
    auto& r = a.sample;
    auto& s = a.sweep;
    r.num = 8;
    cmd->add_option("--checkpoint", r.checkpoint, "a diffusion or flow-matching checkpoint")->required();
    cmd->add_option("--image-size", r.imageSize, "image size, when the checkpoint does not record it")
        ->check(CLI::Range(1, 8192));
    cmd->add_option("--num", r.num, "images (one batch; every run starts from the same noise)")->check(kAtLeastOne);
    cmd->add_option("--seed", r.seed, "random seed of the noise");
    cmd->add_option("--init-noise", r.initNoisePath, "PyTorch file holding x_T (N, C, H, W)");
    addChoice(cmd, "--weights", r.weights, ds::api::names::kWeights, "the checkpoint's weights (default ema)");
    cmd->add_option("--device", r.device, "auto, cpu, cuda or cuda:N");
    cmd->add_option_function<std::vector<int>>(
           "--steps", [&s](const std::vector<int>& v) { s.steps = s.diffusionSteps = v; },
           "step counts (default: diffusion 5,10,20,50,100; flows 2,4,...,64)")
        ->delimiter(',')
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--samplers", s.diffusionSamplers,
                    std::string("diffusion: samplers, from ") + ds::api::kSweepSamplerNames)
        ->delimiter(',');
    cmd->add_option("--reference-steps", s.referenceSteps,
                    "diffusion: steps of the DPM-Solver++ 3M reference solution (default 1000)")
        ->check(CLI::Range(3, 1000000));
    cmd->add_option("--solvers", s.solvers, "flows: ODE solvers (euler, midpoint, rk4, rk4-38, dopri5)")
        ->delimiter(',');
    cmd->add_option("--tolerances", s.tolerances, "flows: dopri5 tolerances")
        ->delimiter(',')
        ->check(CLI::PositiveNumber);
    cmd->add_option("--reference-tolerance", s.referenceTolerance, "flows: the reference dopri5's atol = rtol")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--out", a.out, "also write the JSON to this file");
    cmd->add_option("--batch-size", s.batchSize, "images per batch of every run (default: all --num in one)")
        ->check(kAtLeastOne);
    auto* fid = cmd->add_option("--fid-reference", a.fid.path2,
                                "diffusion: also the FID of every run against this folder, .npz or built-in set "
                                "(fashion-mnist-test, fashion-mnist-train); give --num in the hundreds or more");
    cmd->add_option("--fid-features", a.fid.features,
                    "the FID's feature network: inception, fashion-mnist or a classifier FILE")
        ->needs(fid);
    cmd->add_option("--fid-dims", a.fid.dims, "Inception features: 64, 192, 768 or 2048 (default 2048)")
        ->check(CLI::IsMember({64, 192, 768, 2048}))
        ->needs(fid);
    cmd->add_option("--fid-weights", a.fid.weights,
                    "pt_inception-2015-12-05-6726825d.pth (default: the torch hub cache)")
        ->needs(fid);
    cmd->add_option("--fid-cache-dir", a.fid.cacheDir, "statistics cache (default: ~/.cache/diffusion-studio/fid)")
        ->needs(fid);
    addConditioningOptions(cmd, r.conditioning);
}

int runSweep(SweepArgs& a) {
    ds::app::TerminalProgress progress("sweep", isatty(STDERR_FILENO));
    if (!a.fid.path2.empty()) {
        a.fid.device = a.sample.device;
        a.sweep.fid = a.fid;
    }
    const auto result = ds::api::runSolverSweep(a.sample, a.sweep, progress, gStop);
    progress.finish();
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : result.points) {
        nlohmann::json point{{"solver", p.solver}, {"nfe", p.nfe}, {"rms_error", p.error}, {"seconds", p.seconds}};
        if (p.steps > 0) point["steps"] = p.steps;
        if (p.tolerance > 0) point["tolerance"] = p.tolerance;
        if (p.fid) point["fid"] = *p.fid;
        points.push_back(point);
    }
    nlohmann::json report{{"checkpoint", a.sample.checkpoint},
                          {"images", a.sample.num},
                          {"seed", a.sample.seed},
                          {"reference", result.reference},
                          {"reference_nfe", result.referenceNfe},
                          {"reference_seconds", result.referenceSeconds},
                          {"points", points}};
    if (!result.fidLabel.empty()) {
        report["fid_label"] = result.fidLabel;  // "FID", or "FD (...)" in a classifier's features
        report["fid_reference"] = result.fidReference;
    }
    if (!a.out.empty()) {
        std::ofstream file(a.out);
        if (!(file << report.dump(2) << "\n")) throw ds::fileError(a.out, "cannot write");
    }
    std::cout << report.dump(2) << "\n";
    return 0;
}

int runSample(const ds::api::SampleRequest& r) {
    if (r.gridPath.empty() && r.outDir.empty() && r.saveTensorsPath.empty())
        throw ds::Error("nothing to write: give --grid, --out-dir and/or --save-tensors");
    ds::app::TerminalProgress progress("sampling", isatty(STDERR_FILENO));
    const auto result = ds::api::runSampling(r, progress, gStop);
    progress.finish();
    std::fprintf(stderr, "%d images, %d steps, %.2f s (%.3f s per image)\n", result.images, result.steps,
                 result.seconds, result.seconds / std::max(1, result.images));
    if (result.nfe > 0) std::fprintf(stderr, "%lld network evaluations\n", static_cast<long long>(result.nfe));
    for (const auto& f : result.files)
        if (result.files.size() <= 20 || f == r.gridPath || f == r.saveTensorsPath) std::cout << f << "\n";
    if (result.files.size() > 20 && !r.outDir.empty()) std::cout << r.outDir << " (" << result.images << " images)\n";
    return 0;
}

void addBenchSampleOptions(CLI::App* cmd, ds::api::SampleBenchOptions& o) {
    cmd->add_option("--ddim-steps", o.ddimSteps, "DDIM steps")->check(kAtLeastOne);
    cmd->add_option("--ddim-batch", o.ddimBatch, "DDIM (and DPM-Solver++) batch size")->check(kAtLeastOne);
    cmd->add_option("--dpm-solver-steps", o.dpmSolverSteps, "DPM-Solver++ 2M step counts, e.g. 10,20")
        ->delimiter(',')
        ->check(CLI::Range(2, 100000));
    cmd->add_option("--ddpm-batch", o.ddpmBatch, "DDPM batch size")->check(kAtLeastOne);
    cmd->add_option("--ddpm-measured-steps", o.ddpmMeasuredSteps,
                    "DDPM steps to time of the 1000 (the per-step cost is constant; 1000 runs them all)")
        ->check(kAtLeastOne);
    cmd->add_option("--repeats", o.repeats, "best of N")->check(kAtLeastOne);
    cmd->add_option("--device", o.device, "cpu, cuda or cuda:N");
    cmd->add_flag("--channels-last", o.channelsLast, "run in channels-last memory format");
    cmd->add_option("--flow-backbone", o.flowBackbone,
                    "flow matching: torchcfm (its UNetModel, 32 channels, 1x28x28; default) or cfm (g4vrel/CFM's "
                    "U-Net, 3x32x32)")
        ->check(CLI::IsMember({"torchcfm", "cfm"}));
    cmd->add_option("--flow-batch", o.flowBatch, "flow matching: batch size of the Euler and dopri5 runs")
        ->check(kAtLeastOne);
    cmd->add_option("--flow-euler-steps", o.flowEulerSteps, "flow matching: Euler steps")->check(kAtLeastOne);
    cmd->add_option("--flow-tolerance", o.flowTolerance, "flow matching: dopri5 atol = rtol")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("!--no-flow", o.flow, "skip the flow-matching figures");
}

// `train` options: each one given on the command line overrides the preset or --config file.
struct TrainArgs {
    std::string configFile;
    std::string preset;  // "": tiny, or cfm-tiny with --family flow
    ds::api::ModelFamily family = ds::api::ModelFamily::Diffusion;
    bool familyGiven = false;
    std::string backbone;
    std::string path;
    double sigma = -1;
    std::string runDir;
    std::string data;
    int imageSize = 0, channels = 0, dim = 0, timesteps = 0, batchSize = 0, gradAccum = 0, loaderThreads = 0;
    std::vector<int> dimMults;
    std::string objective, schedule, lrSchedule, device;
    double lr = 0, emaDecay = 0;
    int64_t steps = 0, saveEvery = 0, sampleEvery = -1, warmup = -1;  // -1: not given
    int sampleCount = 0, sampleSteps = 0;
    int64_t fidEvery = -1;  // -1: not given
    int fidSamples = 0, fidDims = 0;
    std::string fidReference, fidFeatures;
    bool fidKid = false;
    ds::api::DiffusionSampler sampleSampler = ds::api::DiffusionSampler::DpmSolverPlusPlus;
    bool sampleSamplerGiven = false;
    uint64_t seed = 0;
    bool seedGiven = false;
    ds::api::MixedPrecision amp = ds::api::MixedPrecision::Off;
    bool ampGiven = false;
    bool channelsLast = false;
    bool conditional = false;
    double condDropProb = -1;  // -1: not given
};

// Multi-process options of `train`, `resume` and `bench train`.
struct DistArgs {
    int nproc = 1;
    ds::api::DistributedOptions options;
    std::string eventsFile;  // rank 0 reports as JSON lines here (the app follows them)
};

void addDistOptions(CLI::App* cmd, DistArgs& a) {
    cmd->add_option("--nproc", a.nproc, "data-parallel processes on this machine (torchrun's --nproc-per-node)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("--dist-backend", a.options.backend, "auto (NCCL on CUDA, else Gloo), gloo or nccl")
        ->check(CLI::IsMember({"auto", "gloo", "nccl"}));
    cmd->add_option("--dist-timeout", a.options.timeoutSeconds, "seconds a collective waits for the other ranks")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--dist-bucket-mb", a.options.bucketMiB, "gradient all-reduce bucket size in MiB (DDP's 25)")
        ->check(CLI::PositiveNumber);
}

void addEventsOption(CLI::App* cmd, DistArgs& a) {
    cmd->add_option("--events", a.eventsFile, "write progress, metrics and logs as JSON lines to this file")->group("");
}

// The arguments of this command line without the options `drop` (each with its value): what
// each worker runs.
std::vector<std::string> workerArgs(int argc, char** argv, const std::vector<std::string>& drop) {
    std::vector<std::string> out;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        bool dropped = false;
        for (const auto& option : drop) {
            if (arg == option) {
                ++i;  // and its value
                dropped = true;
            } else if (arg.rfind(option + "=", 0) == 0) {
                dropped = true;
            }
        }
        if (!dropped) out.push_back(arg);
    }
    return out;
}

// `--nproc N` (N > 1): this process only launches the ranks and reports how they ended.
int launchWorkers(std::vector<std::string> args, int nproc) {
    ds::app::TerminalProgress log("launcher", false);
    ds::api::LocalLaunch launch;
    launch.args = std::move(args);
    launch.nproc = nproc;
    const auto outcome = ds::api::launchLocalWorkers(launch, log, gStop);
    if (outcome.exitCode != 0 && outcome.exitCode != 130) std::fprintf(stderr, "error: %s\n", outcome.message.c_str());
    return outcome.exitCode;
}

// Under a launcher (RANK and WORLD_SIZE set), rank 0 shows progress; the others stay quiet
// but for errors.
struct RankContext {
    ds::api::DistributedRun run;
    std::string eventsFile;
    bool quiet() const { return run.env.present && run.env.rank != 0; }
};

RankContext rankContext(const DistArgs& a) {
    RankContext c{{ds::api::readDistEnvironment(), a.options}, a.eventsFile};
    if (c.run.env.present && a.nproc > 1)
        throw ds::Error(
            "--nproc launches processes on this machine; under a launcher (RANK and WORLD_SIZE are set) "
            "leave it out");
    return c;
}

void addTrainOptions(CLI::App* cmd, TrainArgs& a) {
    cmd->add_option("--config", a.configFile, "a run's config.json to start from (instead of a preset)");
    cmd->add_option("--preset", a.preset,
                    "tiny (CPU, minutes), lsun64, lsun128 (lucidrains' LSUN recipe); flows: cfm-tiny, cfm-seed "
                    "(g4vrel/CFM's recipe)")
        ->check(CLI::IsMember({"tiny", "lsun64", "lsun128", "cfm-tiny", "cfm-seed"}));
    addChoice(cmd, "--family", a.family, ds::api::names::kModelFamilies,
              "the model family (default diffusion; flow: flow matching with g4vrel/CFM's U-Net)")
        ->each([&a](const std::string&) { a.familyGiven = true; });
    cmd->add_option(
           "--backbone", a.backbone,
           "flows: cfm (g4vrel/CFM's U-Net, default), lucidrains (denoising-diffusion-pytorch's Unet) or torchcfm "
           "(torchcfm's UNetModel); the last two take --dim and --dim-mults")
        ->check(CLI::IsMember({"cfm", "lucidrains", "torchcfm"}));
    cmd->add_option("--path", a.path, "flows: probability path ot (g4vrel/CFM's), icfm, otcfm, sbcfm, vp or target")
        ->check(CLI::IsMember({"ot", "icfm", "otcfm", "sbcfm", "vp", "target"}));
    cmd->add_option("--sigma", a.sigma, "flows: the path's sigma (sigma_min of ot and target)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--run-dir", a.runDir, "run directory (default: runs/<date>-<time>)");
    cmd->add_option("--data", a.data, "fashion-mnist, a folder of images or an LMDB folder (data.mdb)");
    cmd->add_option("--image-size", a.imageSize, "training image size")->check(CLI::Range(1, 8192));
    cmd->add_option("--channels", a.channels, "1 or 3")->check(CLI::IsMember({1, 3}));
    cmd->add_option("--dim", a.dim, "Unet base width")->check(kAtLeastOne);
    cmd->add_option("--dim-mults", a.dimMults, "Unet stage multipliers, e.g. 1,2,4")
        ->delimiter(',')
        ->check(kAtLeastOne);
    cmd->add_option("--objective", a.objective, "pred_noise, pred_x0 or pred_v")
        ->check(CLI::IsMember({"pred_noise", "pred_x0", "pred_v"}));
    cmd->add_option("--schedule", a.schedule, "beta schedule: linear, cosine or sigmoid")
        ->check(CLI::IsMember({"linear", "cosine", "sigmoid"}));
    cmd->add_option("--timesteps", a.timesteps, "diffusion timesteps T")->check(CLI::Range(2, 100000));
    cmd->add_option("--batch-size", a.batchSize, "images per step (per accumulation step)")->check(kAtLeastOne);
    cmd->add_option("--grad-accum", a.gradAccum, "gradient accumulation steps")->check(kAtLeastOne);
    cmd->add_option("--lr", a.lr, "peak learning rate")->check(CLI::PositiveNumber);
    cmd->add_option("--lr-schedule", a.lrSchedule, "constant, linear or cosine")
        ->check(CLI::IsMember({"constant", "linear", "cosine"}));
    cmd->add_option("--warmup", a.warmup, "learning-rate warm-up steps")->check(CLI::NonNegativeNumber);
    cmd->add_option("--steps", a.steps, "total optimizer steps")->check(kAtLeastOne64);
    cmd->add_option("--ema-decay", a.emaDecay, "EMA decay (beta)")->check(CLI::Range(0.0, 0.999999999));
    cmd->add_option("--save-every", a.saveEvery, "checkpoint every K steps")->check(kAtLeastOne64);
    cmd->add_option("--sample-every", a.sampleEvery, "preview grid every K steps (0: no previews)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--sample-count", a.sampleCount, "images per preview grid")->check(CLI::Range(1, 1024));
    cmd->add_option("--sample-steps", a.sampleSteps, "the preview sampler's steps (flows: the ODE solver's)")
        ->check(CLI::Range(1, 100000));
    addChoice(cmd, "--sample-sampler", a.sampleSampler, ds::api::names::kSamplers,
              "diffusion previews' sampler (default dpm-solver++: DPM-Solver++ 2M)")
        ->each([&a](const std::string&) { a.sampleSamplerGiven = true; });
    cmd->add_option("--fid-every", a.fidEvery,
                    "FID during training: every K steps the EMA weights sample --fid-samples images with the "
                    "preview sampler; metrics.jsonl records the FID, checkpoints/best.pt keeps the lowest (0: off)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--fid-samples", a.fidSamples, "images per FID measurement (default 1000)")
        ->check(CLI::Range(2, 1000000));
    cmd->add_option("--fid-reference", a.fidReference,
                    "the FID's reference: a folder, an .npz of statistics or a built-in set (fashion-mnist-test)");
    cmd->add_option(
        "--fid-features", a.fidFeatures,
        "the FID's feature network: inception (pytorch-fid's, the default), fashion-mnist or a classifier FILE");
    cmd->add_flag("--fid-kid", a.fidKid,
                  "with --fid-every: also KID (torch-fidelity's) against the reference's images (not an .npz)");
    cmd->add_option("--fid-dims", a.fidDims, "Inception features: 64, 192, 768 or 2048 (default 2048)")
        ->check(CLI::IsMember({64, 192, 768, 2048}));
    cmd->add_option("--loader-threads", a.loaderThreads, "image decoding threads")->check(CLI::Range(1, 256));
    cmd->add_option("--seed", a.seed, "random seed")->each([&a](const std::string&) { a.seedGiven = true; });
    cmd->add_option("--device", a.device, "auto, cpu, cuda or cuda:N");
    addChoice(cmd, "--amp", a.amp, ds::api::names::kMixedPrecisions,
              "mixed precision (bf16: autocast; fp16: CUDA, with loss scaling)")
        ->each([&a](const std::string&) { a.ampGiven = true; });
    cmd->add_flag("--channels-last", a.channelsLast, "channels-last weights and activations");
    cmd->add_flag("--conditional", a.conditional,
                  "class-conditional: diffusion with lucidrains' classifier_free_guidance.py Unet and objective "
                  "(pred_noise, cosine), flows with a class embedding (label_emb, a null class for guidance); "
                  "labels from Fashion-MNIST, class sub-folders or several LMDBs (A,B,...)");
    cmd->add_option("--cond-drop-prob", a.condDropProb,
                    "--conditional: the probability a label becomes the null class (default 0.5)")
        ->check(CLI::Range(0.0, 0.999));
}

ds::train::TrainConfig trainConfigFrom(const TrainArgs& a) {
    ds::train::TrainConfig c;
    if (!a.configFile.empty()) {
        std::ifstream in(a.configFile);
        if (!in) throw ds::fileError(a.configFile, "cannot open");
        try {
            c = ds::train::TrainConfig::fromJson(nlohmann::json::parse(in));
        } catch (const std::exception& e) {
            throw ds::fileError(a.configFile, firstLine(e.what()));
        }
    } else {
        const bool flowFamily = a.familyGiven && a.family == ds::api::ModelFamily::Flow;
        c = ds::train::TrainConfig::fromPreset(a.preset.empty() ? (flowFamily ? "cfm-tiny" : "tiny") : a.preset);
        if (a.familyGiven && c.family != a.family)
            throw ds::Error("preset " + c.preset + " trains a " + ds::api::familyName(c.family) +
                            " model, not --family " + ds::api::familyName(a.family));
    }
    if (c.isFlow()) {
        auto& network = c.flow.network;
        if (!a.backbone.empty() && a.backbone != network.name()) {
            const auto backbone = ds::flow::parseBackbone(a.backbone);
            if (backbone == ds::flow::Backbone::FlowUnet)
                throw ds::Error(std::string("--backbone cfm: this configuration uses the ") + network.name() +
                                " backbone; start from a cfm preset");
            network = ds::train::FlowTrainConfig::startingNetwork(backbone, network.channels());
        }
        if ((network.backbone() == ds::flow::Backbone::FlowUnet && (a.dim > 0 || !a.dimMults.empty())) ||
            !a.objective.empty() || !a.schedule.empty() || a.timesteps > 0)
            throw ds::Error(
                "--objective, --schedule and --timesteps apply to diffusion runs; --dim and --dim-mults to "
                "diffusion runs and flows with --backbone lucidrains or torchcfm");
        if (!a.path.empty()) c.flow.path = a.path;
        if (a.sigma >= 0) c.flow.sigma = a.sigma;
        if (a.imageSize > 0) c.flow.imageSize = a.imageSize;
        if (a.channels > 0) network.setChannels(a.channels);
        if (a.dim > 0 || !a.dimMults.empty())
            network.setShape(a.dim > 0 ? a.dim : network.width(), a.dimMults.empty() ? network.stages() : a.dimMults);
    } else if (!a.path.empty() || a.sigma >= 0 || !a.backbone.empty()) {
        throw ds::Error("--path, --sigma and --backbone apply to flow-matching runs (--family flow)");
    }
    if (!a.data.empty()) c.data = a.data;
    if (!c.isFlow() && a.imageSize > 0) c.diffusion.imageSize = a.imageSize;
    if (!c.isFlow() && a.channels > 0) c.unet.channels = a.channels;
    if (!c.isFlow() && a.dim > 0) c.unet.dim = a.dim;
    if (!c.isFlow() && !a.dimMults.empty()) c.unet.dimMults = a.dimMults;
    if (a.conditional) c.makeConditional();  // the family's defaults, unless given below
    if (a.condDropProb >= 0) {
        if (!c.isConditional()) throw ds::Error("--cond-drop-prob needs --conditional");
        c.conditioning.dropProb = a.condDropProb;
    }
    if (!a.objective.empty()) c.diffusion.objective = a.objective;
    if (!a.schedule.empty()) c.diffusion.betaSchedule = a.schedule;
    if (a.timesteps > 0) c.diffusion.timesteps = a.timesteps;
    if (c.diffusion.samplingTimesteps > c.diffusion.timesteps) c.diffusion.samplingTimesteps = 0;
    if (a.batchSize > 0) c.batchSize = a.batchSize;
    if (a.gradAccum > 0) c.gradAccum = a.gradAccum;
    if (a.lr > 0) c.lr.lr = a.lr;
    if (!a.lrSchedule.empty()) c.lr.kind = a.lrSchedule;
    if (a.warmup >= 0) c.lr.warmupSteps = a.warmup;
    if (a.steps > 0) c.steps = a.steps;
    if (a.emaDecay > 0) c.ema.beta = a.emaDecay;
    if (a.saveEvery > 0) c.saveEvery = a.saveEvery;
    if (a.sampleEvery >= 0) c.sampleEvery = a.sampleEvery;
    if (a.sampleCount > 0) c.sampleCount = a.sampleCount;
    if (a.sampleSteps > 0) c.sampleSteps = a.sampleSteps;
    if (a.sampleSamplerGiven) {
        if (c.isFlow())
            throw ds::Error("--sample-sampler applies to diffusion runs (flows preview with their ODE solver)");
        c.sampleSampler = a.sampleSampler;
    }
    if (a.fidEvery >= 0) c.fid.every = a.fidEvery;
    if (a.fidSamples > 0) c.fid.samples = a.fidSamples;
    if (!a.fidReference.empty()) c.fid.reference = a.fidReference;
    if (!a.fidFeatures.empty()) c.fid.features = a.fidFeatures;
    if (a.fidDims > 0) c.fid.dims = a.fidDims;
    if (a.fidKid) c.fid.kid = true;
    if (!c.fid.enabled() &&
        (a.fidSamples > 0 || !a.fidReference.empty() || !a.fidFeatures.empty() || a.fidDims > 0 || a.fidKid))
        throw ds::Error("--fid-samples, --fid-reference, --fid-features, --fid-dims and --fid-kid need --fid-every K");
    if (a.loaderThreads > 0) c.loaderThreads = a.loaderThreads;
    if (a.seedGiven) c.seed = a.seed;
    if (!a.device.empty()) c.device = a.device;
    if (a.ampGiven) c.amp = a.amp;
    if (a.channelsLast) c.channelsLast = true;
    if (c.data.empty()) throw ds::Error("preset " + c.preset + " needs --data (a folder of images)");
    c.validate();
    return c;
}

void reportTraining(const ds::api::TrainResult& r) {
    std::fprintf(stderr, "%s at step %lld of %lld, last loss %.5f, %.1f s\n", r.finished ? "finished" : "stopped",
                 static_cast<long long>(r.step), static_cast<long long>(r.totalSteps), r.lastLoss, r.seconds);
    std::cout << r.runDir << "\n";
}

// Where a training process reports: the terminal, an event file (followed by the app), or
// nowhere (ranks other than 0).
class TrainingReports {
public:
    explicit TrainingReports(const RankContext& rank)
        : progress_("training", isatty(STDERR_FILENO) && !rank.quiet() && rank.eventsFile.empty()) {
        if (!rank.quiet() && !rank.eventsFile.empty())
            events_ = std::make_unique<ds::api::EventFileSink>(rank.eventsFile);
        sink_ = rank.quiet() ? &quiet_ : events_ ? static_cast<ds::api::JobSink*>(events_.get()) : &progress_;
    }
    ds::api::JobSink& sink() { return *sink_; }
    void finish() { progress_.finish(); }

private:
    ds::app::TerminalProgress progress_;
    std::unique_ptr<ds::api::EventFileSink> events_;
    ds::api::JobSink quiet_;
    ds::api::JobSink* sink_;
};

int runTrain(const TrainArgs& a, const RankContext& rank) {
    const auto config = trainConfigFrom(a);
    const std::string runDir = a.runDir.empty() ? ds::api::defaultRunDir() : a.runDir;
    TrainingReports reports(rank);
    const auto r = ds::api::startTraining(config, runDir, reports.sink(), gStop, nullptr, &rank.run);
    reports.finish();
    if (!rank.quiet()) reportTraining(r);
    return r.finished ? 0 : 130;
}

int runResume(const std::string& runDir, int64_t steps, const RankContext& rank) {
    TrainingReports reports(rank);
    const auto r = ds::api::resumeTraining(runDir, steps, reports.sink(), gStop, nullptr, &rank.run);
    reports.finish();
    if (!rank.quiet()) reportTraining(r);
    return r.finished ? 0 : 130;
}

// `fid`: pytorch-fid's command line (`fid PATH1 PATH2`, `fid --save-stats DIR OUT.npz`), and a
// Fréchet distance in a feature classifier's space (`--features fashion-mnist|FILE`).
struct FidArgs {
    ds::api::FidRequest request;
    bool saveStats = false;
    bool noCache = false;
    bool json = false;
};

// The feature network and how images reach it: `fid` and `neighbours`.
void addFeatureOptions(CLI::App* cmd, ds::api::FidRequest& r, bool& noCache) {
    cmd->add_option("--features", r.features,
                    "feature network: inception (pytorch-fid's; the default when its weights are found), "
                    "fashion-mnist (the classifier train-classifier made) or a classifier FILE");
    cmd->add_option("--dims", r.dims, "Inception features: 64, 192, 768 or 2048 (default 2048)")
        ->check(CLI::IsMember({64, 192, 768, 2048}));
    cmd->add_option("--batch-size", r.batchSize, "images per batch")->check(kAtLeastOne);
    cmd->add_option("--num-workers", r.numWorkers, "image decoding threads (default: the cores, at most 8)")
        ->check(CLI::Range(1, 256));
    cmd->add_option("--device", r.device, "auto, cpu, cuda or cuda:N");
    cmd->add_option("--weights", r.weights, "pt_inception-2015-12-05-6726825d.pth (default: the torch hub cache)");
    cmd->add_option("--resize", r.resize, "resize every image to S x S first (for folders of mixed sizes)")
        ->check(CLI::Range(1, 8192));
    cmd->add_flag("--no-cache", noCache, "neither read nor write the statistics cache");
    cmd->add_option("--cache-dir", r.cacheDir,
                    "statistics (and features) cache (default: ~/.cache/diffusion-studio/fid)");
}

void addFidOptions(CLI::App* cmd, FidArgs& a) {
    auto& r = a.request;
    cmd->add_option("path1", r.path1,
                    "folder of images, .npz statistics or a built-in set: fashion-mnist-test, fashion-mnist-train "
                    "(with --save-stats: the images)")
        ->required();
    cmd->add_option("path2", r.path2, "the same kinds (with --save-stats: the output .npz)")->required();
    addFeatureOptions(cmd, r, a.noCache);
    cmd->add_flag("--save-stats", a.saveStats, "write the statistics of the folder PATH1 to the file PATH2");
    cmd->add_flag("--kid", r.kid, "also compute KID (torch-fidelity's: 100 subsets of up to 1000)");
    cmd->add_flag("--prdc", r.prdc,
                  "also precision/recall (torch-fidelity's) and density/coverage (clovaai's prdc) of PATH1, the "
                  "generated images, against PATH2, the real ones");
    cmd->add_option("--nearest-k", r.prdcOptions.nearestK,
                    "--prdc: k of density and coverage (prdc's nearest_k, default 5)")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--prc-neighbourhood", r.prdcOptions.neighbourhood,
                    "--prdc: k of precision and recall (torch-fidelity's prc_neighborhood, default 3)")
        ->check(CLI::Range(1, 1000));
    cmd->add_flag("--json", a.json, "print every result as JSON on standard output");
}

// Python's repr of a float (the shortest text that reads back exactly), as pytorch-fid prints it.
std::string pythonFloat(double value) {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    std::string s(text, end);
    if (s.find_first_of(".eni") == std::string::npos) s += ".0";
    return s;
}

// `fid --json`: every figure of the result, named as the reference packages name them.
nlohmann::json fidResultJson(const ds::api::FidResult& r) {
    nlohmann::json j{{"distance", r.fid},        {"label", r.distanceLabel}, {"feature_space", r.featureSpace},
                     {"inception", r.inception}, {"dims", r.dims},           {"count1", r.count1},
                     {"count2", r.count2},       {"resize", r.resizeMode},   {"cached1", r.cached1},
                     {"cached2", r.cached2},     {"seconds", r.seconds},     {"warnings", r.warnings}};
    if (r.inception) j["fid"] = r.fid;
    if (!r.weightsPath.empty()) j["network_file"] = r.weightsPath;
    if (r.classifierAccuracy >= 0) j["classifier_test_accuracy"] = r.classifierAccuracy;
    if (r.hasKid) j["kid"] = {{"mean", r.kid}, {"std", r.kidStd}};
    if (r.hasPrdc) {
        const auto& p = r.prdc;
        j["prdc"] = {{"precision", p.precision},    {"recall", p.recall},
                     {"f_score", p.fScore},         {"neighbourhood", p.neighbourhood},
                     {"density", p.density},        {"coverage", p.coverage},
                     {"nearest_k", p.nearestK},     {"prdc_precision", p.prdcPrecision},
                     {"prdc_recall", p.prdcRecall}, {"seconds", p.seconds}};
    }
    return j;
}

int runFidCommand(FidArgs& a) {
    a.request.useCache = !a.noCache;
    ds::app::TerminalProgress progress("fid", isatty(STDERR_FILENO));
    const auto printWarnings = [](const std::vector<std::string>& warnings) {
        for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    };
    if (a.saveStats) {
        const auto r = ds::api::saveFidStats(a.request, a.request.path2, progress, gStop);
        progress.finish();
        printWarnings(r.warnings);
        std::fprintf(stderr, "%lld images, %d dims (%s), %.1f s\n", static_cast<long long>(r.count), r.dims,
                     r.featureSpace.c_str(), r.seconds);
        std::cout << r.output << "\n";
        return 0;
    }
    const auto r = ds::api::runFid(a.request, progress, gStop);
    progress.finish();
    printWarnings(r.warnings);
    std::fprintf(stderr, "%lld and %lld images%s, %d dims, resize: %s, %.1f s\n", static_cast<long long>(r.count1),
                 static_cast<long long>(r.count2), r.cached1 || r.cached2 ? " (cached statistics used)" : "", r.dims,
                 r.resizeMode.c_str(), r.seconds);
    if (!r.inception && r.classifierAccuracy >= 0)
        std::fprintf(stderr, "features: %s (test accuracy %.2f %%), %s\n", r.featureSpace.c_str(),
                     100.0 * r.classifierAccuracy, r.weightsPath.c_str());
    if (a.json) {
        std::cout << fidResultJson(r).dump(2) << "\n";
        return 0;
    }
    if (r.inception) {
        std::cout << "FID:  " << pythonFloat(r.fid) << "\n";
        if (r.hasKid) std::cout << "KID:  " << pythonFloat(r.kid) << " (std " << pythonFloat(r.kidStd) << ")\n";
    } else {
        // Not an FID: a Fréchet distance in a named feature space (issue 17).
        std::cout << r.distanceLabel << ": " << pythonFloat(r.fid) << "\n";
        if (r.hasKid)
            std::cout << "KD (" << r.featureSpace << "): " << pythonFloat(r.kid) << " (std " << pythonFloat(r.kidStd)
                      << ")\n";
    }
    if (r.hasPrdc) {
        const auto& p = r.prdc;
        std::cout << "precision: " << pythonFloat(p.precision) << "\nrecall:    " << pythonFloat(p.recall)
                  << "\ndensity:   " << pythonFloat(p.density) << "\ncoverage:  " << pythonFloat(p.coverage) << "\n";
        std::fprintf(stderr, "precision/recall: torch-fidelity's, k = %d; density/coverage: clovaai's prdc, k = %d\n",
                     p.neighbourhood, p.nearestK);
    }
    return 0;
}

// `neighbours GEN TRAIN`: each generated image beside its nearest training images.
struct NeighboursArgs {
    ds::api::NeighboursRequest request;
    std::string out;
    bool noCache = false;
    bool json = false;
};

void addNeighboursOptions(CLI::App* cmd, NeighboursArgs& a) {
    auto& r = a.request;
    cmd->add_option("generated", r.sets.path1, "the generated images: a folder (or a built-in set)")->required();
    cmd->add_option("training", r.sets.path2,
                    "the training images: a folder or a built-in set (fashion-mnist-train, fashion-mnist-test)")
        ->required();
    cmd->add_option("--k", r.k, "training images per generated one (default 3)")->check(CLI::Range(1, 100));
    cmd->add_option("--out", a.out, "the sheet: one row per generated image, closest first (PNG)");
    cmd->add_option("--rows", r.sheetRows, "generated images on the sheet, closest first (default 32; 0: all)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--thumbnail", r.thumbnail, "a sheet cell's side in pixels (default: from the images, 64 to 128)")
        ->check(CLI::Range(8, 1024));
    cmd->add_option("--sheet-width", r.sheetWidth,
                    "place rows side by side, as many as fit this many pixels (default: one column)")
        ->check(CLI::Range(64, 100000));
    addChoice(cmd, "--space", r.space, ds::api::names::kNeighbourSpaces,
              "features (the --features network's, as fid computes them; default) or pixels");
    addFeatureOptions(cmd, r.sets, a.noCache);
    cmd->add_flag("--json", a.json, "print every generated image's neighbours as JSON on standard output");
}

int runNeighboursCommand(NeighboursArgs& a) {
    a.request.sets.useCache = !a.noCache;
    ds::app::TerminalProgress progress("neighbours", isatty(STDERR_FILENO));
    const auto r = ds::api::findNeighbours(a.request, progress, gStop);
    progress.finish();
    for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!a.out.empty()) ds::api::saveNeighbourSheet(r, a.request, a.out);
    std::fprintf(stderr, "%lld generated, %lld training images, %s, k = %d, %.1f s%s%s\n",
                 static_cast<long long>(r.generatedCount), static_cast<long long>(r.trainingCount),
                 r.spaceLabel.c_str(), r.k, r.seconds, a.out.empty() ? "" : ", sheet: ", a.out.c_str());
    if (a.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : r.rows) {
            nlohmann::json neighbours = nlohmann::json::array();
            for (const auto& m : row.neighbours)
                neighbours.push_back({{"index", m.index}, {"name", m.name}, {"distance", m.distance}});
            rows.push_back({{"index", row.index}, {"name", row.name}, {"neighbours", neighbours}});
        }
        std::cout << nlohmann::json{{"space", ds::api::names::nameOf(ds::api::names::kNeighbourSpaces, r.space)},
                                    {"space_label", r.spaceLabel},
                                    {"k", r.k},
                                    {"generated", r.generatedCount},
                                    {"training", r.trainingCount},
                                    {"seconds", r.seconds},
                                    {"warnings", r.warnings},
                                    {"rows", rows}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    // The closest few, as a table: the images most likely memorised.
    const size_t shown = std::min<size_t>(r.rows.size(), 10);
    for (size_t i = 0; i < shown; ++i) {
        const auto& m = r.rows[i].neighbours.front();
        std::cout << pythonFloat(m.distance) << "\t" << r.rows[i].name << "\t" << m.name << "\n";
    }
    return 0;
}

// `train-classifier`: the offline feature network of `fid --features fashion-mnist`.
void addTrainClassifierOptions(CLI::App* cmd, ds::api::ClassifierTrainRequest& r) {
    cmd->add_option("--data", r.data, "the data set (fashion-mnist)")->check(CLI::IsMember({"fashion-mnist"}));
    cmd->add_option("--out", r.out,
                    "the classifier file (default: " + ds::api::defaultClassifierPath() +
                        ", where fid --features fashion-mnist finds it)");
    cmd->add_option("--epochs", r.epochs, "passes over the training images (default 5)")->check(kAtLeastOne);
    cmd->add_option("--seed", r.seed, "random seed (weights, order, flips, dropout)");
    cmd->add_option("--batch-size", r.batchSize, "images per batch")->check(kAtLeastOne);
    cmd->add_option("--train-images", r.trainImages, "train on the first N training images (default: all 60000)")
        ->check(kAtLeastOne64);
    cmd->add_option("--test-images", r.testImages,
                    "measure the accuracy on the first N test images (default: all 10000)")
        ->check(kAtLeastOne64);
    cmd->add_option("--device", r.device, "auto, cpu, cuda or cuda:N");
}

// `classify FOLDER`: how often the classifier recognises class-conditional samples as the class
// their PNGs record.
struct ClassifyArgs {
    ds::api::ClassifyRequest request;
    bool json = false;
};

void addClassifyOptions(CLI::App* cmd, ClassifyArgs& a) {
    cmd->add_option("folder", a.request.folder, "sample PNGs of a class-conditional checkpoint (their ds.class)")
        ->required();
    cmd->add_option("--features", a.request.classifier,
                    "the classifier: fashion-mnist (train-classifier's, the default) or a classifier FILE");
    cmd->add_option("--batch-size", a.request.batchSize, "images per batch")->check(kAtLeastOne);
    cmd->add_option("--device", a.request.device, "auto, cpu, cuda or cuda:N");
    cmd->add_flag("--json", a.json, "print the result as JSON");
}

int runClassify(const ClassifyArgs& a) {
    ds::app::TerminalProgress progress("classify", isatty(STDERR_FILENO));
    const auto r = ds::api::classifyImages(a.request, progress, gStop);
    progress.finish();
    const auto name = [&r](size_t k) { return k < r.classNames.size() ? r.classNames[k] : std::to_string(k); };
    if (a.json) {
        nlohmann::json perClass = nlohmann::json::array();
        for (size_t k = 0; k < r.perClassImages.size(); ++k)
            perClass.push_back(
                {{"class", k},
                 {"name", name(k)},
                 {"images", r.perClassImages[k]},
                 {"correct", r.perClassCorrect[k]},
                 {"accuracy", r.perClassImages[k] ? double(r.perClassCorrect[k]) / double(r.perClassImages[k]) : 0.0}});
        std::cout << nlohmann::json{{"images", r.images},
                                    {"labelled", r.labelled},
                                    {"correct", r.correct},
                                    {"accuracy", r.accuracy},
                                    {"per_class", perClass},
                                    {"confusion", r.confusion},
                                    {"classifier", r.classifierLabel},
                                    {"classifier_test_accuracy", r.classifierTestAccuracy},
                                    {"seconds", r.seconds}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf("accuracy: %.4f (%lld of %lld images recognised as their class; %s)\n", r.accuracy,
                static_cast<long long>(r.correct), static_cast<long long>(r.labelled), r.classifierLabel.c_str());
    for (size_t k = 0; k < r.perClassImages.size(); ++k)
        if (r.perClassImages[k] > 0)
            std::printf("  %zu %-12s %.4f (%lld)\n", k, name(k).c_str(),
                        double(r.perClassCorrect[k]) / double(r.perClassImages[k]),
                        static_cast<long long>(r.perClassImages[k]));
    return 0;
}

int runTrainClassifier(const ds::api::ClassifierTrainRequest& r) {
    ds::app::TerminalProgress progress("train-classifier", isatty(STDERR_FILENO));
    const auto result = ds::api::trainClassifier(r, progress, gStop);
    progress.finish();
    std::fprintf(stderr, "%lld training images, %d epochs, %.1f s training, %.1f s in all\n",
                 static_cast<long long>(result.trainImages), result.epochs, result.trainSeconds, result.seconds);
    std::printf("test accuracy: %.2f %% (%lld images)\nfeatures: %s\n%s\n", 100.0 * result.testAccuracy,
                static_cast<long long>(result.testImages), result.featureSpace.c_str(), result.path.c_str());
    return 0;
}

void addBenchFidOptions(CLI::App* cmd, ds::api::FidBenchOptions& o) {
    cmd->add_option("--images", o.images, "random PNGs per generated folder")->check(CLI::Range(2, 1000000));
    cmd->add_option("--image-size", o.imageSize, "size of the generated PNGs")->check(CLI::Range(1, 8192));
    cmd->add_option("--folder1", o.folder1, "measure this folder instead (with --folder2)");
    cmd->add_option("--folder2", o.folder2, "the second folder");
    cmd->add_option("--batch-size", o.batchSize, "images per batch")->check(kAtLeastOne);
    cmd->add_option("--num-workers", o.numWorkers, "image decoding threads")->check(CLI::Range(1, 256));
    cmd->add_option("--dims", o.dims, "64, 192, 768 or 2048")->check(CLI::IsMember({64, 192, 768, 2048}));
    cmd->add_option("--device", o.device, "cpu, cuda or cuda:N");
    cmd->add_option("--weights", o.weights, "Inception weights (default: found as for fid, else random)");
}

void addImportLmdbOptions(CLI::App* cmd, ds::api::LmdbImportRequest& r, std::vector<int64_t>& split) {
    cmd->add_option("db-dir", r.dbDir, "LMDB folder (holding data.mdb)")->required();
    cmd->add_option("--out", r.outDir, "output folder")->required();
    cmd->add_flag("--flat", r.flat, "raw export: <out>/<key>.webp instead of fyu/lsun's nested k0/../k5 folders");
    cmd->add_flag("--real-ext", r.realExtension, "raw export: name files by their real format, not .webp");
    cmd->add_option("--size", r.size, "decode, resize the shorter side to S, centre-crop SxS (0: raw export)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--format", r.format, "resized images: png or jpg")->check(CLI::IsMember({"png", "jpg"}));
    cmd->add_option("--jpeg-quality", r.jpegQuality, "resized JPEG quality")->check(CLI::Range(1, 100));
    cmd->add_option("--limit", r.limit, "at most N images, the first in key order")->check(kAtLeastOne64);
    cmd->add_option("--split", split, "TRAIN,TEST images drawn at random into train/ and test/")
        ->delimiter(',')
        ->expected(2);
    cmd->add_option("--seed", r.seed, "seed of the split");
}

int runImportLmdb(ds::api::LmdbImportRequest r, const std::vector<int64_t>& split, int threads) {
    if (split.size() == 2) {
        r.splitTrain = split[0];
        r.splitTest = split[1];
    }
    r.threads = threads;
    ds::app::TerminalProgress progress("importing", isatty(STDERR_FILENO));
    const auto result = ds::api::runLmdbImport(r, progress, gStop);
    progress.finish();
    std::fprintf(stderr, "%lld written, %lld already there, %lld corrupt, %lld refused keys; %.1f s, %.0f images/s\n",
                 static_cast<long long>(result.written), static_cast<long long>(result.skippedExisting),
                 static_cast<long long>(result.corrupt), static_cast<long long>(result.refusedKeys), result.seconds,
                 result.imagesPerSecond);
    for (const auto& problem : result.problems) std::fprintf(stderr, "  skipped %s\n", problem.c_str());
    if (!result.trainDir.empty())
        std::fprintf(stderr, "train: %lld images, test: %lld images\n", static_cast<long long>(result.trainImages),
                     static_cast<long long>(result.testImages));
    std::cout << result.outDir << "\n" << result.reportFile << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Diffusion Studio command line: inspect checkpoints, sample, train, compute FID, import LSUN LMDBs, "
        "benchmark."};
    app.set_version_flag("--version", std::string("diffusion-studio-cli ") + DS_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    int threads = 0;
    app.add_option("--threads", threads, "LibTorch and import threads (default: OMP_NUM_THREADS, else all cores)")
        ->check(CLI::Range(1, 1024));

    InfoArgs infoArgs;
    auto* info = app.add_subcommand("info", "what a checkpoint holds: kind, architecture, step, weights");
    info->add_option("checkpoint", infoArgs.checkpoint, "checkpoint file")->required();
    info->add_flag("--json", infoArgs.json, "print JSON");

    ds::api::SampleRequest sampleRequest;
    SweepArgs sweepArgs;
    auto* sweep = app.add_subcommand("sweep",
                                     "NFE vs quality: a checkpoint's samplers (diffusion) or ODE solvers (flows) at "
                                     "several step counts against a converged solution, as JSON");
    addSweepOptions(sweep, sweepArgs);

    auto* sample = app.add_subcommand(
        "sample",
        "generate images from a diffusion (DDPM, DDIM, DPM-Solver(++), UniPC) or flow-matching (ODE) checkpoint");
    addSampleOptions(sample, sampleRequest);

    TrainArgs trainArgs;
    DistArgs distArgs;
    auto* train = app.add_subcommand(
        "train", "train a DDPM or (--family flow) a flow-matching model (default: the tiny preset on Fashion-MNIST)");
    addTrainOptions(train, trainArgs);
    addDistOptions(train, distArgs);
    addEventsOption(train, distArgs);

    std::string resumeDir;
    int64_t resumeSteps = 0;
    auto* resume = app.add_subcommand("resume", "continue a training run from its latest checkpoint");
    resume->add_option("run-dir", resumeDir, "the run directory")->required();
    resume->add_option("--steps", resumeSteps, "new total of steps")->check(kAtLeastOne64);
    addDistOptions(resume, distArgs);
    addEventsOption(resume, distArgs);

    ds::api::LmdbImportRequest importRequest;
    std::vector<int64_t> importSplit;
    auto* importLmdb = app.add_subcommand("import-lmdb", "export an LSUN LMDB to image files (raw or resized)");
    addImportLmdbOptions(importLmdb, importRequest, importSplit);
    std::string lmdbInfoDir;
    bool lmdbInfoJson = false;
    auto* lmdbInfo = app.add_subcommand("lmdb-info", "what an LMDB holds: entries, size, formats, first keys");
    lmdbInfo->add_option("db-dir", lmdbInfoDir, "LMDB folder (holding data.mdb)")->required();
    lmdbInfo->add_flag("--json", lmdbInfoJson, "print JSON");

    ds::api::SampleBenchOptions benchSampleOptions;
    auto* bench = app.add_subcommand("bench", "benchmarks that print JSON");
    bench->require_subcommand(1);
    auto* benchSample = bench->add_subcommand("sample",
                                              "seconds per image: DDIM-50 and DPM-Solver++ 2M at 10 and 20 steps "
                                              "(batch 64), DDPM-1000 (batch 16), flow Euler-50 and dopri5 (batch 16)");
    addBenchSampleOptions(benchSample, benchSampleOptions);
    ds::api::GuidanceBenchOptions benchGuidanceOptions;
    auto* benchGuidance = bench->add_subcommand(
        "guidance",
        "what classifier-free guidance costs per image: a conditional checkpoint sampled at W = 1 and guided");
    benchGuidance->add_option("--checkpoint", benchGuidanceOptions.checkpoint, "a class-conditional checkpoint")
        ->required();
    benchGuidance->add_option("--sampler", benchGuidanceOptions.sampler,
                              "diffusion: a sampler (default ddim); flows: an ODE solver (default euler)");
    benchGuidance->add_option("--steps", benchGuidanceOptions.steps, "sampler steps (default 50)")->check(kAtLeastOne);
    benchGuidance->add_option("--batch", benchGuidanceOptions.batch, "images per batch (default 64)")
        ->check(kAtLeastOne);
    benchGuidance->add_option("--scale", benchGuidanceOptions.scale, "the guided run's W (default 4)")
        ->check(CLI::NonNegativeNumber);
    benchGuidance->add_option("--image-size", benchGuidanceOptions.imageSize,
                              "image size (files that do not record it)");
    benchGuidance->add_option("--repeats", benchGuidanceOptions.repeats, "best of N")->check(kAtLeastOne);
    benchGuidance->add_option("--device", benchGuidanceOptions.device, "cpu, cuda or cuda:N");
    ds::api::TrainBenchOptions benchTrainOptions;
    ds::api::QualityBenchOptions benchQualityOptions;
    auto* benchQuality = bench->add_subcommand(
        "quality", "time to quality: Frechet distance of the EMA's samples against minutes of training from scratch");
    benchQuality->add_option("--minutes", benchQualityOptions.minutes, "minutes of training (default 20)")
        ->check(CLI::PositiveNumber);
    benchQuality
        ->add_option("--fid-every-minutes", benchQualityOptions.fidEveryMinutes,
                     "a measurement every K minutes of training, and at the end (default 2)")
        ->check(CLI::PositiveNumber);
    benchQuality->add_option("--preset", benchQualityOptions.preset, "tiny, lsun64 or lsun128 (default tiny)")
        ->check(CLI::IsMember({"tiny", "lsun64", "lsun128"}));
    benchQuality->add_option("--fid-samples", benchQualityOptions.samples, "images per measurement (default 1000)")
        ->check(CLI::Range(2, 1000000));
    addChoice(benchQuality, "--sampler", benchQualityOptions.sampler, ds::api::names::kSamplers,
              "the measurements' sampler (default ddim, as lucidrains' sampling_timesteps)");
    benchQuality->add_option("--steps", benchQualityOptions.steps, "the sampler's steps (default 20)")
        ->check(CLI::Range(1, 100000));
    benchQuality->add_option("--fid-reference", benchQualityOptions.reference,
                             "a folder, an .npz of statistics or a built-in set (default fashion-mnist-test)");
    benchQuality->add_option("--fid-features", benchQualityOptions.features,
                             "inception, fashion-mnist (default) or a classifier FILE");
    benchQuality->add_option("--seed", benchQualityOptions.seed, "random seed (default 0)");
    benchQuality->add_option("--run-dir", benchQualityOptions.runDir, "keep the run here (default: a temporary one)");
    benchQuality->add_option("--device", benchQualityOptions.device, "cpu, cuda or cuda:N");
    ds::api::PreviewBenchOptions benchPreviewOptions;
    auto* benchPreview = bench->add_subcommand(
        "preview", "a training preset's preview grid against the training time between two previews");
    benchPreview->add_option("--preset", benchPreviewOptions.preset, "tiny, lsun64, lsun128, cfm-tiny or cfm-seed")
        ->check(CLI::IsMember({"tiny", "lsun64", "lsun128", "cfm-tiny", "cfm-seed"}));
    benchPreview->add_option("--train-steps", benchPreviewOptions.trainSteps, "timed optimizer steps")
        ->check(kAtLeastOne);
    benchPreview->add_flag("!--no-ddim", benchPreviewOptions.ddimComparison,
                           "skip the DDIM preview at lucidrains' sampling steps");
    benchPreview
        ->add_option("--train-batch", benchPreviewOptions.trainBatch,
                     "time the training steps at this micro-batch and scale to the preset's (for a batch that "
                     "does not fit in memory)")
        ->check(kAtLeastOne);
    benchPreview->add_option("--device", benchPreviewOptions.device, "cpu, cuda or cuda:N");
    auto* benchTrain = bench->add_subcommand("train", "images/s of a training step (forward, backward, Adam)");
    benchTrain->add_option("--batch", benchTrainOptions.batch, "batch size")->check(kAtLeastOne);
    benchTrain->add_option("--steps", benchTrainOptions.steps, "timed steps")->check(kAtLeastOne);
    benchTrain->add_option("--device", benchTrainOptions.device, "cpu, cuda or cuda:N");
    DistArgs benchDistArgs;
    addDistOptions(benchTrain, benchDistArgs);
    benchTrain->add_option("--report", benchTrainOptions.reportFile, "write rank 0's JSON report here")->group("");
    ds::api::LmdbBenchOptions benchLmdbOptions;
    auto* benchLmdb = bench->add_subcommand("lmdb", "images/s of LMDB raw export and resize export");
    benchLmdb->add_option("--db", benchLmdbOptions.dbDir, "an LMDB to read (default: a temporary synthetic one)");
    benchLmdb->add_option("--count", benchLmdbOptions.count, "images (of the synthetic LMDB, or the first of --db)")
        ->check(kAtLeastOne);
    benchLmdb->add_option("--size", benchLmdbOptions.size, "resize export's size")->check(CLI::Range(1, 8192));

    FidArgs fidArgs;
    auto* fid = app.add_subcommand("fid",
                                   "FID between two folders or .npz statistics, as pytorch-fid computes it "
                                   "(or a Frechet distance in a classifier's features: --features)");
    addFidOptions(fid, fidArgs);
    NeighboursArgs neighboursArgs;
    auto* neighbours = app.add_subcommand(
        "neighbours", "each generated image beside its nearest training images, closest first (memorisation)");
    addNeighboursOptions(neighbours, neighboursArgs);
    ds::api::ClassifierTrainRequest classifierRequest;
    auto* trainClassifier = app.add_subcommand(
        "train-classifier", "train the Fashion-MNIST classifier whose features fid --features fashion-mnist uses");
    addTrainClassifierOptions(trainClassifier, classifierRequest);
    ClassifyArgs classifyArgs;
    auto* classify = app.add_subcommand(
        "classify", "how often the Fashion-MNIST classifier recognises class-conditional samples as their class");
    addClassifyOptions(classify, classifyArgs);
    ds::api::FidBenchOptions benchFidOptions;
    auto* benchFid = bench->add_subcommand("fid", "FID speed: feature extraction images/s, total and Frechet seconds");
    addBenchFidOptions(benchFid, benchFidOptions);

    CLI11_PARSE(app, argc, argv);

    std::signal(SIGINT, onSigint);
    // A file-size limit (or a full quota) must fail the write with a clear error, not kill us.
    std::signal(SIGXFSZ, SIG_IGN);
    try {
        ds::configureThreads(threads);
        ds::keepTensorMemoryInHeap();
        if (info->parsed()) return runInfo(infoArgs);
        if (sample->parsed()) return runSample(sampleRequest);
        if (sweep->parsed()) return runSweep(sweepArgs);
        if ((train->parsed() || resume->parsed()) && distArgs.nproc > 1) {
            rankContext(distArgs);  // refuses --nproc under a launcher
            auto args = workerArgs(argc, argv, {"--nproc"});
            // Every rank must name the same run directory: the default is fixed here, once.
            if (train->parsed() && trainArgs.runDir.empty()) {
                args.push_back("--run-dir");
                args.push_back(ds::api::defaultRunDir());
            }
            return launchWorkers(args, distArgs.nproc);
        }
        if (train->parsed()) return runTrain(trainArgs, rankContext(distArgs));
        if (resume->parsed()) return runResume(resumeDir, resumeSteps, rankContext(distArgs));
        if (importLmdb->parsed()) return runImportLmdb(importRequest, importSplit, threads);
        if (lmdbInfo->parsed()) {
            const auto lmdb = ds::api::inspectLmdb(lmdbInfoDir);
            std::cout << (lmdbInfoJson ? lmdb.toJson().dump(2) + "\n" : lmdb.toText());
            return 0;
        }
        if (benchLmdb->parsed()) {
            benchLmdbOptions.threads = threads;
            std::cout << ds::api::benchLmdb(benchLmdbOptions).dump(2) << "\n";
            return 0;
        }
        if (benchTrain->parsed()) {
            const auto rank = rankContext(benchDistArgs);
            if (benchDistArgs.nproc > 1) {
                ds::app::TerminalProgress log("bench train", false);
                const auto args = workerArgs(argc, argv, {"--nproc", "--threads"});
                std::cout
                    << ds::api::benchTrainScaling(benchTrainOptions, benchDistArgs.nproc, args, log, gStop).dump(2)
                    << "\n";
                return 0;
            }
            const auto report = ds::api::benchTrain(benchTrainOptions, &rank.run);
            if (!rank.quiet() && benchTrainOptions.reportFile.empty()) std::cout << report.dump(2) << "\n";
            return 0;
        }
        if (fid->parsed()) return runFidCommand(fidArgs);
        if (neighbours->parsed()) return runNeighboursCommand(neighboursArgs);
        if (trainClassifier->parsed()) return runTrainClassifier(classifierRequest);
        if (classify->parsed()) return runClassify(classifyArgs);
        if (benchFid->parsed()) {
            ds::app::TerminalProgress progress("bench fid", isatty(STDERR_FILENO));
            const auto report = ds::api::benchFid(benchFidOptions, progress, gStop);
            progress.finish();
            std::cout << report.dump(2) << "\n";
            return 0;
        }
        if (benchQuality->parsed()) {
            ds::app::TerminalProgress progress("bench quality", isatty(STDERR_FILENO));
            const auto report = ds::api::benchQuality(benchQualityOptions, progress, gStop);
            progress.finish();
            std::cout << report.dump(2) << "\n";
            return 0;
        }
        if (benchPreview->parsed()) {
            std::cout << ds::api::benchPreview(benchPreviewOptions).dump(2) << "\n";
            return 0;
        }
        if (benchGuidance->parsed()) {
            std::cout << ds::api::benchGuidance(benchGuidanceOptions).dump(2) << "\n";
            return 0;
        }
        if (benchSample->parsed()) {
            std::cout << ds::api::benchSample(benchSampleOptions).dump(2) << "\n";
            return 0;
        }
    } catch (const ds::Cancelled&) {
        std::fprintf(stderr, "\ncancelled\n");
        return 130;
    } catch (const std::exception& e) {
        // A rank's errors name the rank (those of the process group already do).
        std::string message = firstLine(e.what());
        if (const char* rank = std::getenv("RANK"); rank && message.rfind("rank ", 0) != 0)
            message = "rank " + std::string(rank) + ": " + message;
        std::fprintf(stderr, "error: %s\n", message.c_str());
        return 1;
    }
    return 0;
}
