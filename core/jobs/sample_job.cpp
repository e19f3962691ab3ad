// SPDX-License-Identifier: GPL-3.0-or-later
// The sampling job: checkpoint -> images (grid, numbered PNGs, tensors), reporting every step.
#include "core/api/sampling.h"
#include "core/api/solver_sweep.h"
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/checkpoint/flow_checkpoint.h"
#include "core/diffusion/diffusion_ode_sampling.h"
#include "core/io/image_tensor.h"
#include "core/io/torch_file.h"
#include "core/jobs/class_condition.h"
#include "core/jobs/diffusion_sweep.h"
#include "core/jobs/flow_sampling.h"
#include "core/jobs/sample_output.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"
#include "core/util/sha256.h"

#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

namespace ds::api {

namespace {

constexpr int kDefaultSolverSteps = 20;           // the DPM-Solver and UniPC references' default
constexpr int64_t kAdaptiveProgressUnits = 1000;  // the adaptive method: thousandths of the time span

struct Plan {
    checkpoint::DiffusionCheckpoint ckpt;
    diffusion::GaussianDiffusion model{nullptr};
    torch::Device device = torch::kCPU;
    DiffusionSampler sampler = DiffusionSampler::Ddim;
    int steps = 0;        // DDIM steps, the ODE solver's steps argument, DDPM's T
    int framesSteps = 0;  // steps each batch reports (0: not known ahead, the adaptive method)
    torch::Tensor xT;     // (N, C, H, W) on the CPU
    std::unique_ptr<diffusion::NoiseScheduleVP> schedule;  // ODE solvers
    // Class-conditional models: every image's class (N, CPU) and the guidance.
    std::optional<diffusion::ClassCondition> condition;

    bool ode() const { return isOdeSolver(sampler); }
    bool adaptive() const { return framesSteps == 0; }
};

void validate(const SampleRequest& r) {
    if (r.eta < 0.0) throw Error("--eta must not be negative");
    if (r.eta != 0.0 && r.sampler != DiffusionSampler::Ddim) throw Error("--eta applies to DDIM");
    if (r.steps < 0) throw Error("--steps must not be negative");
}

int chooseSteps(const SampleRequest& r, const diffusion::DiffusionConfig& cfg) {
    if (r.sampler == DiffusionSampler::Ddpm) {
        if (r.steps != 0 && r.steps != cfg.timesteps)
            throw Error("DDPM runs all " + std::to_string(cfg.timesteps) +
                        " timesteps; --steps applies to DDIM and the ODE solvers");
        return cfg.timesteps;
    }
    if (r.sampler != DiffusionSampler::Ddim) return r.steps > 0 ? r.steps : kDefaultSolverSteps;
    if (r.steps > 0) return r.steps;
    return cfg.samplingTimesteps > 0 && cfg.samplingTimesteps < cfg.timesteps ? cfg.samplingTimesteps
                                                                              : std::min(50, cfg.timesteps);
}

// What reproduces a sample: the sampler and every option it used.
std::vector<std::pair<std::string, std::string>> samplerEntries(const SampleRequest& r, const Plan& plan, int64_t nfe) {
    std::vector<std::pair<std::string, std::string>> e{{"ds.sampler", samplerName(plan.sampler)},
                                                       {"ds.steps", std::to_string(plan.steps)}};
    if (plan.sampler == DiffusionSampler::Ddim) e.emplace_back("ds.eta", std::to_string(r.eta));
    if (plan.sampler == DiffusionSampler::Ddpm) e.emplace_back("ds.eta", "1");
    if (plan.ode()) {
        const auto& o = r.solverOptions;
        e.emplace_back("ds.order", std::to_string(o.order));
        if (plan.sampler != DiffusionSampler::UniPC) e.emplace_back("ds.method", methodName(o.method));
        e.emplace_back("ds.skip", spacingName(o.spacing));
        if (plan.sampler == DiffusionSampler::UniPC) {
            e.emplace_back("ds.unipc_variant", unipcVariantName(o.unipcVariant));
            if (!o.unipcPredictX0) e.emplace_back("ds.unipc_prediction", "noise");
        }
        if (o.taylor) e.emplace_back("ds.solver_type", "taylor");
        if (!o.lowerOrderFinal) e.emplace_back("ds.lower_order_final", "0");
        if (o.denoiseToZero) e.emplace_back("ds.denoise_to_zero", "1");
        if (o.method == SolverMethod::Adaptive) {
            e.emplace_back("ds.atol", std::to_string(o.atol));
            e.emplace_back("ds.rtol", std::to_string(o.rtol));
        }
        e.emplace_back("ds.clip_x0", x0CorrectionName(o.x0Correction));
    }
    if (nfe > 0) e.emplace_back("ds.nfe", std::to_string(nfe));
    return e;
}

// Options that only flows use must not be silently ignored for a diffusion checkpoint.
void rejectFlowOptions(const SampleRequest& r) {
    if (!r.solver.empty())
        throw fileError(r.checkpoint,
                        "--solver applies to flow-matching checkpoints; this is a diffusion model (use --sampler)");
    if (!r.times.empty()) throw fileError(r.checkpoint, "--times applies to flow-matching checkpoints");
    if (r.groups != 0) throw fileError(r.checkpoint, "--groups applies to g4vrel/CFM's flow-matching U-Net");
    if (!r.attentionOrder.empty()) throw fileError(r.checkpoint, "--attention-order applies to torchcfm's UNetModel");
}

io::PngText pngMetadata(const SampleRequest& r, const Plan& plan, const std::string& checkpointSha, int index,
                        int64_t nfe) {
    auto entries = samplerEntries(r, plan, nfe);
    if (plan.condition)
        for (auto& e : jobs::classConditionEntries(plan.ckpt, *plan.condition, index)) entries.push_back(std::move(e));
    return jobs::samplePngText(r, checkpointSha, entries, plan.model->config().imageSize, plan.xT.size(0), index);
}

Plan makePlan(const SampleRequest& r, const io::PyValue& root, at::Generator& gen) {
    rejectFlowOptions(r);
    Plan plan;
    plan.device = parseDevice(r.device);
    plan.ckpt = checkpoint::readDiffusionCheckpoint(r.checkpoint, root);
    checkpoint::ModelBuildOptions options;
    options.weights = r.weights;
    options.imageSize = r.imageSize;
    options.objective = r.objective;
    options.device = plan.device;
    options.heads = r.heads;
    options.headChannels = r.headChannels;
    plan.model = checkpoint::buildDiffusionModel(plan.ckpt, options);
    plan.sampler = r.sampler;
    plan.steps = chooseSteps(r, plan.model->config());
    plan.framesSteps = plan.steps;
    if (plan.ode()) {
        diffusion::validateSolverOptions(plan.sampler, r.solverOptions, plan.steps);
        plan.schedule = std::make_unique<diffusion::NoiseScheduleVP>(
            diffusion::noiseScheduleFor(*plan.model, plan.sampler, plan.device));
        plan.framesSteps = diffusion::solverStepCount(plan.sampler, r.solverOptions, plan.steps);
    }
    plan.xT = jobs::initialNoise(r, plan.model->channels(), plan.model->config().imageSize, gen);
    try {
        plan.condition = jobs::resolveClassCondition(r.conditioning, plan.ckpt, plan.xT.size(0), plan.sampler);
    } catch (const Error& e) {
        throw fileError(r.checkpoint, e.what());
    }
    return plan;
}

Image batchGrid(const diffusion::GaussianDiffusionImpl& model, const torch::Tensor& x) {
    return io::toImage(io::makeGrid(model.unnormalize(x).clamp(0, 1)));
}

// Frames in the explorer's terms, whatever the sampler: the timestep of the state (fractional
// between whole timesteps for the ODE solvers) and its alpha-bar.
class FrameMaker {
public:
    FrameMaker(const Plan& plan) : plan_(plan) {
        alphasCumprod_ = plan.model->buffer("alphas_cumprod").to(torch::kCPU, torch::kDouble);
    }

    TrajectoryFrame initial(const torch::Tensor& xT) const {
        TrajectoryFrame f;
        f.steps = plan_.framesSteps;
        if (plan_.ode()) {
            setOdeTime(f, plan_.schedule->T());
        } else {
            f.t = double(plan_.sampler == DiffusionSampler::Ddim ? plan_.model->ddimTimePairs(plan_.steps).front().first
                                                                 : plan_.model->config().timesteps - 1);
            f.alphaCumprod = alphaCumprodAt(int64_t(f.t));
        }
        f.xt = batchGrid(*plan_.model, xT);
        return f;
    }

    TrajectoryFrame step(const diffusion::DenoiseStep& s) const {
        TrajectoryFrame f;
        f.step = s.index + 1;
        f.steps = s.count;
        f.t = double(s.tNext);
        f.modelT = double(s.t);
        f.alphaCumprod = alphaCumprodAt(s.tNext);
        f.xt = batchGrid(*plan_.model, s.x);
        f.x0 = batchGrid(*plan_.model, s.x0);
        return f;
    }

    TrajectoryFrame step(const diffusion::SolverStep& s) const {
        TrajectoryFrame f;
        f.step = s.index + 1;
        f.steps = s.count;
        setOdeTime(f, s.t);
        f.modelT = timestepOf(s.s);
        f.xt = batchGrid(*plan_.model, s.x);
        f.x0 = batchGrid(*plan_.model, s.x0);
        return f;
    }

private:
    double alphaCumprodAt(int64_t t) const { return t < 0 ? 1.0 : alphasCumprod_[t].item<double>(); }
    // Continuous time t = (n + 1) / N is timestep n; t = 0 (denoise_to_zero) is the clean sample.
    double timestepOf(double t) const { return t <= 0.0 ? -1.0 : t * double(plan_.schedule->totalN()) - 1.0; }
    void setOdeTime(TrajectoryFrame& f, double t) const {
        f.t = timestepOf(t);
        f.alphaCumprod =
            t <= 0.0 ? 1.0 : std::exp(2.0 * plan_.schedule->marginalLogMeanCoeff(torch::full({1}, t)).item<double>());
    }

    const Plan& plan_;
    torch::Tensor alphasCumprod_;
};

}  // namespace

SolverSweepResult runSolverSweep(const SampleRequest& r, const SolverSweepRequest& sweep, JobSink& sink,
                                 const StopToken& stop) {
    const auto root = io::loadTorchFile(r.checkpoint);
    if (!checkpoint::isFlowCheckpoint(*root)) {
        rejectFlowOptions(r);
        return jobs::runDiffusionSolverSweep(r, checkpoint::readDiffusionCheckpoint(r.checkpoint, *root), sweep, sink,
                                             stop);
    }
    validateSolverSweep(sweep);
    if (sweep.fid)
        throw fileError(r.checkpoint,
                        "is a flow-matching checkpoint; the sweep's FID against NFE is for diffusion "
                        "checkpoints (for a flow, sample each solver to a folder and run fid)");
    return jobs::runFlowSolverSweep(r, checkpoint::readFlowCheckpoint(r.checkpoint, *root), sweep, sink, stop);
}

SampleResult runSampling(const SampleRequest& request, JobSink& sink, const StopToken& stop) {
    jobs::validateSampleRequest(request);
    jobs::checkOutputFile(request.gridPath);
    jobs::checkOutputFile(request.saveTensorsPath);
    const auto root = io::loadTorchFile(request.checkpoint);
    if (checkpoint::isFlowCheckpoint(*root)) {
        const auto ck = checkpoint::readFlowCheckpoint(request.checkpoint, *root);
        return jobs::runFlowSampling(jobs::withClassRows(request, ck.numClasses()), ck, sink, stop);
    }
    const SampleRequest r =
        request.conditioning.rowPerClass
            ? jobs::withClassRows(request, checkpoint::readDiffusionCheckpoint(request.checkpoint, *root).numClasses())
            : request;
    validate(r);
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    Plan plan = makePlan(r, *root, gen);
    auto& model = *plan.model;
    const int64_t n = plan.xT.size(0);
    const int64_t batches = (n + r.batchSize - 1) / r.batchSize;
    const bool keepTensors = !r.saveTensorsPath.empty();
    if (keepTensors && plan.adaptive() && batches > 1)
        throw fileError(r.saveTensorsPath,
                        "the adaptive method takes its own steps, which differ between batches: "
                        "give --batch-size at least --num to save the steps");
    if (!r.outDir.empty()) jobs::prepareSampleOutDir(r.outDir, static_cast<int>(n));
    const std::string sha = sha256File(r.checkpoint);
    const FrameMaker frames(plan);

    const int64_t unitsPerBatch = plan.adaptive() ? kAdaptiveProgressUnits : plan.framesSteps;
    ProgressMeter meter(batches * unitsPerBatch, plan.adaptive() ? "t/1000" : "steps");
    sink.onLog("sampling " + std::to_string(n) + " images with " + samplerLabel(plan.sampler, r.solverOptions) + ", " +
               (plan.adaptive() ? std::string("adaptive steps") : std::to_string(plan.steps) + " steps") + ", on " +
               plan.device.str());
    if (plan.condition) {
        const auto& g = plan.condition->guidance;
        std::ostringstream os;
        os << "class-conditional: guidance scale " << g.condScale << ", rescaled_phi " << g.rescaledPhi
           << (g.condScale == 1.0 ? " (W = 1: the conditional model alone)" : "")
           << (plan.condition->cfgPlusPlus ? ", CFG++" : "");
        sink.onLog(os.str());
    }

    std::vector<torch::Tensor> samples, x0Preds, xs;
    SampleResult result;
    for (int64_t b = 0; b < batches; ++b) {
        const int64_t from = b * r.batchSize, to = std::min<int64_t>(n, from + r.batchSize);
        auto xT = plan.xT.slice(0, from, to).to(plan.device);
        if (plan.condition) {
            auto batch = *plan.condition;
            batch.classes = plan.condition->classes.slice(0, from, to).to(plan.device);
            model.setCondition(batch);
        }
        std::vector<torch::Tensor> batchX0, batchXs{model.unnormalize(xT).cpu()};
        if (sink.wantsFrames()) sink.onFrame(frames.initial(xT));
        int batchSteps = 0;
        const auto record = [&](const torch::Tensor& x, const torch::Tensor& x0) {
            ++batchSteps;
            if (!keepTensors) return;
            batchX0.push_back(model.unnormalize(x0).cpu());
            batchXs.push_back(model.unnormalize(x).cpu());
        };
        torch::Tensor x0;
        int64_t nfe = 0;
        if (plan.ode()) {
            auto solver = diffusion::makeDiffusionOdeSolver(model, *plan.schedule, plan.sampler, r.solverOptions);
            const double tT = plan.schedule->T(), t0 = plan.schedule->tEnd();
            x0 = solver->sample(
                xT, plan.steps,
                [&](const diffusion::SolverStep& s) {
                    record(s.x, s.x0);
                    if (sink.wantsFrames()) sink.onFrame(frames.step(s));
                    const int64_t done =
                        plan.adaptive() ? std::llround((tT - std::max(s.t, t0)) / (tT - t0) * kAdaptiveProgressUnits)
                                        : s.index + 1;
                    sink.onProgress(meter.at(b * unitsPerBatch + done));
                },
                &stop);
            nfe = solver->nfe();
        } else {
            const auto onStep = [&](const diffusion::DenoiseStep& s) {
                record(s.x, s.x0);
                if (sink.wantsFrames()) sink.onFrame(frames.step(s));
                sink.onProgress(meter.at(b * unitsPerBatch + s.index + 1));
            };
            x0 = plan.sampler == DiffusionSampler::Ddim ? model.ddimSample(xT, plan.steps, r.eta, gen, onStep, &stop)
                                                        : model.ddpmSample(xT, gen, onStep, &stop);
            nfe = plan.steps;
        }
        if (b == 0) result.steps = batchSteps;
        result.nfe += nfe;
        auto images = model.unnormalize(x0).clamp(0, 1).cpu();
        samples.push_back(images);
        if (keepTensors) {
            x0Preds.push_back(torch::stack(batchX0, 0));
            xs.push_back(torch::stack(batchXs, 1));
        }
        jobs::writeNumberedSamples(
            r, images, from, [&](int index) { return pngMetadata(r, plan, sha, index, 0); }, result.files);
    }

    auto all = torch::cat(samples, 0);
    const auto grid = io::makeGrid(all, r.gridColumns);
    result.grid = io::toImage(grid);
    result.gridMetadata = pngMetadata(r, plan, sha, -1, result.nfe);
    if (!r.gridPath.empty()) {
        jobs::writeSamplePng(r.gridPath, grid, result.gridMetadata);
        result.files.push_back(r.gridPath);
    }
    if (keepTensors) {
        auto dict = io::PyValue::dict(true);
        dict->set("samples", io::PyValue::tensor(all));
        dict->set("x0_preds", io::PyValue::tensor(torch::cat(x0Preds, 1)));
        dict->set("xs", io::PyValue::tensor(torch::cat(xs, 0)));
        dict->set("nfe", io::PyValue::integer(result.nfe));
        io::saveTorchFile(r.saveTensorsPath, dict);
        result.files.push_back(r.saveTensorsPath);
    }
    result.images = static_cast<int>(n);
    result.seconds = meter.elapsedSeconds();
    return result;
}

}  // namespace ds::api
