// The sampling job: checkpoint -> images (grid, numbered PNGs, tensors), reporting every step.
#include "core/api/sampling.h"
#include "core/api/solver_sweep.h"

#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/checkpoint/flow_checkpoint.h"
#include "core/io/image_tensor.h"
#include "core/jobs/flow_sampling.h"
#include "core/jobs/sample_output.h"
#include "core/io/torch_file.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"
#include "core/util/sha256.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ds::api {

namespace {

struct Plan {
    checkpoint::DiffusionCheckpoint ckpt;
    diffusion::GaussianDiffusion model{nullptr};
    torch::Device device = torch::kCPU;
    bool ddim = true;
    int steps = 0;
    torch::Tensor xT;  // (N, C, H, W) on the CPU
};

void validate(const SampleRequest& r) {
    if (r.sampler != "ddim" && r.sampler != "ddpm") throw Error("unknown sampler '" + r.sampler + "' (expected ddim or ddpm)");
    if (r.eta < 0.0) throw Error("--eta must not be negative");
}

int chooseSteps(const SampleRequest& r, const diffusion::DiffusionConfig& cfg) {
    if (r.sampler == "ddpm") {
        if (r.steps != 0 && r.steps != cfg.timesteps)
            throw Error("DDPM runs all " + std::to_string(cfg.timesteps) + " timesteps; --steps applies to DDIM");
        return cfg.timesteps;
    }
    if (r.steps > 0) return r.steps;
    return cfg.samplingTimesteps > 0 && cfg.samplingTimesteps < cfg.timesteps ? cfg.samplingTimesteps
                                                                               : std::min(50, cfg.timesteps);
}

io::PngText pngMetadata(const SampleRequest& r, const Plan& plan, const std::string& checkpointSha, int index) {
    return jobs::samplePngText(r, checkpointSha,
                               {{"ds.sampler", plan.ddim ? "ddim" : "ddpm"},
                                {"ds.steps", std::to_string(plan.steps)},
                                {"ds.eta", plan.ddim ? std::to_string(r.eta) : "1"}},
                               plan.model->config().imageSize, plan.xT.size(0), index);
}

// Options that only flows use must not be silently ignored for a diffusion checkpoint.
void rejectFlowOptions(const SampleRequest& r) {
    if (!r.solver.empty()) throw fileError(r.checkpoint, "--solver applies to flow-matching checkpoints; this is a diffusion model (use --sampler)");
    if (!r.times.empty()) throw fileError(r.checkpoint, "--times applies to flow-matching checkpoints");
    if (r.groups != 0) throw fileError(r.checkpoint, "--groups applies to the seed's flow-matching U-Net");
    if (r.heads != 0 || r.headChannels != 0 || !r.attentionOrder.empty())
        throw fileError(r.checkpoint, "--heads, --head-channels and --attention-order apply to torchcfm's UNetModel");
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
    plan.model = checkpoint::buildDiffusionModel(plan.ckpt, options);
    plan.ddim = r.sampler == "ddim";
    plan.steps = chooseSteps(r, plan.model->config());
    plan.xT = jobs::initialNoise(r, plan.model->model()->config().channels, plan.model->config().imageSize, gen);
    return plan;
}

double alphaCumprodAt(const torch::Tensor& alphasCumprod, int64_t t) {
    return t < 0 ? 1.0 : alphasCumprod[t].item<double>();
}

Image batchGrid(const diffusion::GaussianDiffusionImpl& model, const torch::Tensor& x) {
    return io::toImage(io::makeGrid(model.unnormalize(x).clamp(0, 1)));
}

DenoiseFrame initialFrame(const torch::Tensor& xT, int64_t firstT, int steps,
                          const diffusion::GaussianDiffusionImpl& model, const torch::Tensor& alphasCumprod) {
    DenoiseFrame f;
    f.steps = steps;
    f.t = firstT;
    f.alphaCumprod = alphaCumprodAt(alphasCumprod, firstT);
    f.xt = batchGrid(model, xT);
    return f;
}

DenoiseFrame stepFrame(const diffusion::DenoiseStep& s, const diffusion::GaussianDiffusionImpl& model,
                       const torch::Tensor& alphasCumprod) {
    DenoiseFrame f;
    f.step = s.index + 1;
    f.steps = s.count;
    f.t = s.tNext;
    f.modelT = s.t;
    f.alphaCumprod = alphaCumprodAt(alphasCumprod, s.tNext);
    f.xt = batchGrid(model, s.x);
    f.x0 = batchGrid(model, s.x0);
    return f;
}

}  // namespace

SolverSweepResult runSolverSweep(const SampleRequest& r, const SolverSweepRequest& sweep, JobSink& sink,
                                 const StopToken& stop) {
    validateSolverSweep(sweep);
    const auto root = io::loadTorchFile(r.checkpoint);
    if (!checkpoint::isFlowCheckpoint(*root))
        throw fileError(r.checkpoint, "the NFE-vs-quality sweep needs a flow-matching checkpoint; this is a diffusion model");
    return jobs::runFlowSolverSweep(r, checkpoint::readFlowCheckpoint(r.checkpoint, *root), sweep, sink, stop);
}

SampleResult runSampling(const SampleRequest& r, JobSink& sink, const StopToken& stop) {
    jobs::validateSampleRequest(r);
    jobs::checkOutputFile(r.gridPath);
    jobs::checkOutputFile(r.saveTensorsPath);
    const auto root = io::loadTorchFile(r.checkpoint);
    if (checkpoint::isFlowCheckpoint(*root))
        return jobs::runFlowSampling(r, checkpoint::readFlowCheckpoint(r.checkpoint, *root), sink, stop);
    validate(r);
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    Plan plan = makePlan(r, *root, gen);
    auto& model = *plan.model;
    const int64_t n = plan.xT.size(0);
    if (!r.outDir.empty()) jobs::prepareSampleOutDir(r.outDir, static_cast<int>(n));
    const std::string sha = sha256File(r.checkpoint);
    const bool keepTensors = !r.saveTensorsPath.empty();
    const auto alphasCumprod = model.buffer("alphas_cumprod").to(torch::kCPU, torch::kDouble);

    const int64_t batches = (n + r.batchSize - 1) / r.batchSize;
    ProgressMeter meter(batches * plan.steps, "steps");
    sink.onLog("sampling " + std::to_string(n) + " images with " + (plan.ddim ? "DDIM" : "DDPM") + ", " +
               std::to_string(plan.steps) + " steps, on " + plan.device.str());

    std::vector<torch::Tensor> samples, x0Preds, xs;
    SampleResult result;
    for (int64_t b = 0; b < batches; ++b) {
        const int64_t from = b * r.batchSize, to = std::min<int64_t>(n, from + r.batchSize);
        auto xT = plan.xT.slice(0, from, to).to(plan.device);
        std::vector<torch::Tensor> batchX0, batchXs{model.unnormalize(xT).cpu()};
        if (sink.wantsFrames()) {
            const int64_t firstT = plan.ddim ? model.ddimTimePairs(plan.steps).front().first : model.config().timesteps - 1;
            sink.onFrame(initialFrame(xT, firstT, plan.steps, model, alphasCumprod));
        }
        auto onStep = [&](const diffusion::DenoiseStep& s) {
            if (keepTensors) {
                batchX0.push_back(model.unnormalize(s.x0).cpu());
                batchXs.push_back(model.unnormalize(s.x).cpu());
            }
            if (sink.wantsFrames()) sink.onFrame(stepFrame(s, model, alphasCumprod));
            sink.onProgress(meter.at(b * plan.steps + s.index + 1));
        };
        auto x0 = plan.ddim ? model.ddimSample(xT, plan.steps, r.eta, gen, onStep, &stop)
                            : model.ddpmSample(xT, gen, onStep, &stop);
        auto images = model.unnormalize(x0).clamp(0, 1).cpu();
        samples.push_back(images);
        if (keepTensors) {
            x0Preds.push_back(torch::stack(batchX0, 0));
            xs.push_back(torch::stack(batchXs, 1));
        }
        jobs::writeNumberedSamples(r, images, from, [&](int index) { return pngMetadata(r, plan, sha, index); },
                                   result.files);
    }

    auto all = torch::cat(samples, 0);
    const auto grid = io::makeGrid(all, r.gridColumns);
    result.grid = io::toImage(grid);
    result.gridMetadata = pngMetadata(r, plan, sha, -1);
    if (!r.gridPath.empty()) {
        jobs::writeSamplePng(r.gridPath, grid, result.gridMetadata);
        result.files.push_back(r.gridPath);
    }
    if (keepTensors) {
        auto dict = io::PyValue::dict(true);
        dict->set("samples", io::PyValue::tensor(all));
        dict->set("x0_preds", io::PyValue::tensor(torch::cat(x0Preds, 1)));
        dict->set("xs", io::PyValue::tensor(torch::cat(xs, 0)));
        io::saveTorchFile(r.saveTensorsPath, dict);
        result.files.push_back(r.saveTensorsPath);
    }
    result.images = static_cast<int>(n);
    result.steps = plan.steps;
    result.seconds = meter.elapsedSeconds();
    return result;
}

}  // namespace ds::api
