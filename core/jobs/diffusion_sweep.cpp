// SPDX-License-Identifier: GPL-3.0-or-later
// NFE vs quality on a diffusion checkpoint: each sweep sampler at each step count, from the same
// x_T, against a converged solution of the probability-flow ODE (DPM-Solver++ 3M, many steps).
#include "core/jobs/diffusion_sweep.h"

#include "core/diffusion/diffusion_ode_sampling.h"
#include "core/jobs/class_condition.h"
#include "core/jobs/generated_fid.h"
#include "core/jobs/logs_only_sink.h"
#include "core/jobs/sample_output.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

namespace ds::api {

std::optional<SweepSampler> parseSweepSampler(const std::string& name) {
    const auto solver = [](DiffusionSampler s, int order, SolverMethod method) {
        SweepSampler out{s, {}};
        out.options.order = order;
        out.options.method = method;
        return out;
    };
    if (name == "ddim") return SweepSampler{DiffusionSampler::Ddim, {}};
    if (name == "dpm-solver++2m") return solver(DiffusionSampler::DpmSolverPlusPlus, 2, SolverMethod::Multistep);
    if (name == "dpm-solver++3m") return solver(DiffusionSampler::DpmSolverPlusPlus, 3, SolverMethod::Multistep);
    if (name == "dpm-solver++2s") return solver(DiffusionSampler::DpmSolverPlusPlus, 2, SolverMethod::Singlestep);
    if (name == "dpm-solver3s") return solver(DiffusionSampler::DpmSolver, 3, SolverMethod::Singlestep);
    if (name == "unipc2") return solver(DiffusionSampler::UniPC, 2, SolverMethod::Multistep);
    if (name == "unipc3") return solver(DiffusionSampler::UniPC, 3, SolverMethod::Multistep);
    return std::nullopt;
}

}  // namespace ds::api

namespace ds::jobs {

namespace {

struct TimedRun {
    torch::Tensor final;
    int64_t nfe = 0;
    double seconds = 0.0;
};

// The ODE a sampler integrates, for its converged reference solution. DPM-Solver's schedule
// drops the last knots where the half-logSNR is below -5.1, while DDIM and UniPC start from the
// model's last timestep: they start from different noise levels. lucidrains' DDIM also clips
// each x0 to [-1, 1] and ends with the x0 it predicts at timestep 0 (denoise to zero).
struct OdeKind {
    bool clippedSchedule = false;
    bool clipX0 = false;
    bool denoiseToZero = false;
    bool operator<(const OdeKind& o) const {
        return std::tie(clippedSchedule, clipX0, denoiseToZero) <
               std::tie(o.clippedSchedule, o.clipX0, o.denoiseToZero);
    }
};

OdeKind odeOf(const api::SweepSampler& s) {
    if (s.sampler == api::DiffusionSampler::Ddim) return {false, true, true};
    return {s.sampler != api::DiffusionSampler::UniPC, s.options.x0Correction == api::X0Correction::Clip,
            s.options.denoiseToZero};
}

// DPM-Solver++ 3M with many steps on that ODE: the converged solution.
TimedRun referenceRun(diffusion::GaussianDiffusionImpl& model, const OdeKind& kind, int steps, const torch::Tensor& xT,
                      const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    const diffusion::NoiseScheduleVP schedule(model.buffer("alphas_cumprod"), kind.clippedSchedule, xT.device());
    auto options = api::parseSweepSampler("dpm-solver++3m")->options;
    options.x0Correction = kind.clipX0 ? api::X0Correction::Clip : api::X0Correction::None;
    options.denoiseToZero = kind.denoiseToZero;
    auto solver = diffusion::makeDiffusionOdeSolver(model, schedule, api::DiffusionSampler::DpmSolverPlusPlus, options);
    TimedRun out;
    out.final = solver->sample(xT, steps, {}, &stop).cpu();
    out.nfe = solver->nfe();
    out.seconds = secondsSince(start);
    return out;
}

TimedRun timedRun(diffusion::GaussianDiffusionImpl& model, const api::SweepSampler& s, int steps,
                  const torch::Tensor& xT, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    TimedRun out;
    if (s.sampler == api::DiffusionSampler::Ddim) {
        at::Generator gen = at::detail::createCPUGenerator(0);  // eta 0 draws noise it does not use
        out.final = model.ddimSample(xT, steps, 0.0, gen, {}, &stop);
        out.nfe = steps;
    } else {
        const auto schedule = diffusion::noiseScheduleFor(model, s.sampler, xT.device());
        auto solver = diffusion::makeDiffusionOdeSolver(model, schedule, s.sampler, s.options);
        out.final = solver->sample(xT, steps, {}, &stop);
        out.nfe = solver->nfe();
    }
    out.final = out.final.cpu();
    out.seconds = secondsSince(start);
    return out;
}

// `run` on xT in batches of `batch` images (0: one), the finals concatenated. The runs are
// fixed-step, so every batch takes the same NFE: one run's.
TimedRun inBatches(const torch::Tensor& xT, int batch, const std::function<TimedRun(const torch::Tensor&)>& run) {
    const int64_t n = xT.size(0);
    const int64_t size = batch > 0 ? std::min<int64_t>(batch, n) : n;
    TimedRun out;
    std::vector<torch::Tensor> finals;
    for (int64_t begin = 0; begin < n; begin += size) {
        auto part = run(xT.slice(0, begin, std::min(n, begin + size)));
        finals.push_back(part.final);
        out.nfe = std::max(out.nfe, part.nfe);
        out.seconds += part.seconds;
    }
    out.final = finals.size() == 1 ? finals.front() : torch::cat(finals, 0);
    return out;
}

}  // namespace

api::SolverSweepResult runDiffusionSolverSweep(const api::SampleRequest& r, const checkpoint::DiffusionCheckpoint& ckpt,
                                               const api::SolverSweepRequest& sweep, api::JobSink& sink,
                                               const StopToken& stop) {
    validateSampleRequest(r);
    if (sweep.diffusionSamplers.empty()) throw Error("the sweep needs at least one sampler");
    if (sweep.diffusionSteps.empty()) throw Error("the sweep needs step counts");
    if (sweep.referenceSteps < 3) throw Error("the reference needs at least 3 steps");
    if (sweep.batchSize < 0) throw Error("the sweep's batch size must be positive");
    std::vector<std::pair<std::string, api::SweepSampler>> samplers;
    for (const auto& name : sweep.diffusionSamplers) {
        const auto s = api::parseSweepSampler(name);
        if (!s) throw Error("unknown sweep sampler '" + name + "' (expected " + api::kSweepSamplerNames + ")");
        samplers.emplace_back(name, *s);
    }
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    checkpoint::ModelBuildOptions options;
    options.weights = r.weights;
    options.imageSize = r.imageSize;
    options.objective = r.objective;
    options.device = parseDevice(r.device);
    options.heads = r.heads;
    options.headChannels = r.headChannels;
    auto model = checkpoint::buildDiffusionModel(ckpt, options);
    const auto xT = initialNoise(r, model->channels(), model->config().imageSize, gen).to(options.device);
    // A class-conditional model sweeps the same classes and guidance in every run (ODE kinds
    // only: CFG++ applies to DDIM, whose ODE the sweep measures without it).
    if (auto condition =
            resolveClassCondition(r.conditioning, ckpt, xT.size(0), api::DiffusionSampler::DpmSolverPlusPlus)) {
        condition->classes = condition->classes.to(options.device);
        model->setCondition(*condition);
    }

    // The FID reference first: a missing folder or classifier fails before any sampling.
    LogsOnlySink fidSink(sink);  // the FID's progress is in images, the sweep's in runs
    std::optional<GeneratedImagesFid> fid;
    if (sweep.fid) {
        fid.emplace(*sweep.fid, fidSink);
        sink.onLog("FID reference: " + sweep.fid->path2 + " (" + fid->featureSpace() + " features)");
        fid->prepareReference(stop);
    }

    // The runs there are: step counts a sampler cannot take (DDIM beyond T, below the order) are left out.
    std::vector<std::tuple<std::string, api::SweepSampler, int>> runs;
    for (const auto& [name, s] : samplers)
        for (int steps : sweep.diffusionSteps) {
            if (steps < 1) throw Error("the sweep's step counts must be at least 1");
            const bool ddim = s.sampler == api::DiffusionSampler::Ddim;
            if (ddim ? steps > model->config().timesteps : steps < s.options.order) continue;
            runs.emplace_back(name, s, steps);
        }
    std::map<OdeKind, TimedRun> reference;
    for (const auto& [name, s, steps] : runs) reference[odeOf(s)];
    const auto references = static_cast<int64_t>(reference.size());
    ProgressMeter meter(static_cast<int64_t>(runs.size()) + references, "runs");
    sink.onLog("reference: DPM-Solver++ 3M with " + std::to_string(sweep.referenceSteps) +
               " steps on each sampler's ODE, " + std::to_string(xT.size(0)) + " images");
    api::SolverSweepResult result;
    int64_t done = 0;
    for (auto& [kind, run] : reference) {
        run = inBatches(xT, sweep.batchSize, [&, k = kind](const torch::Tensor& x) {
            return referenceRun(*model, k, sweep.referenceSteps, x, stop);
        });
        result.referenceNfe += run.nfe;
        result.referenceSeconds += run.seconds;
        sink.onProgress(meter.at(++done));
    }
    result.reference = "DPM-Solver++ 3M, " + std::to_string(sweep.referenceSteps) + " steps, on each sampler's ODE";
    if (fid) {
        result.fidLabel = fid->label();
        result.fidReference = sweep.fid->path2;
    }
    for (const auto& [name, s, steps] : runs) {
        const auto run = inBatches(xT, sweep.batchSize, [&, sampler = s, n = steps](const torch::Tensor& x) {
            return timedRun(*model, sampler, n, x, stop);
        });
        const auto& ref = reference.at(odeOf(s));
        api::SolverSweepPoint point;
        point.solver = name;
        point.steps = steps;
        point.nfe = run.nfe;
        point.seconds = run.seconds;
        // In model space ([-1, 1]), as the flows' sweep measures its states.
        point.error = (run.final - ref.final).to(torch::kDouble).pow(2).mean().sqrt().item<double>();
        if (fid) point.fid = fid->distance(model->unnormalize(run.final).clamp(0, 1), stop);
        result.points.push_back(point);
        sink.onProgress(meter.at(static_cast<int64_t>(result.points.size()) + references));
    }
    return result;
}

}  // namespace ds::jobs
