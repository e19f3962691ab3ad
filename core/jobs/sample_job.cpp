// The sampling job: checkpoint -> images (grid, numbered PNGs, tensors), reporting every step.
#include "core/api/sampling.h"

#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/io/image_tensor.h"
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"
#include "core/util/sha256.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>
#include <filesystem>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

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
    if (r.num < 1 && r.initNoisePath.empty()) throw Error("--num must be at least 1");
    if (r.batchSize < 1) throw Error("--batch-size must be at least 1");
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

torch::Tensor initialNoise(const SampleRequest& r, const diffusion::GaussianDiffusionImpl& model, at::Generator& gen) {
    const auto& cfg = model.config();
    const int64_t c = model.model()->config().channels;
    if (!r.initNoisePath.empty()) {
        auto x = io::loadSingleTensor(r.initNoisePath);
        if (x.dim() != 4 || x.size(1) != c || x.size(2) != cfg.imageSize || x.size(3) != cfg.imageSize)
            throw fileError(r.initNoisePath, "expected a tensor of shape (N, " + std::to_string(c) + ", " +
                                                 std::to_string(cfg.imageSize) + ", " + std::to_string(cfg.imageSize) +
                                                 "), found " + c10::str(x.sizes()));
        return x.to(torch::kFloat).contiguous();
    }
    return torch::randn({r.num, c, cfg.imageSize, cfg.imageSize}, gen);
}

io::PngText pngMetadata(const SampleRequest& r, const Plan& plan, const std::string& checkpointSha, int index) {
    io::PngText text{{"Software", std::string("Diffusion Studio ") + DS_VERSION},
                     {"ds.version", DS_VERSION},
                     {"ds.checkpoint", fs::path(r.checkpoint).filename().string()},
                     {"ds.checkpoint_sha256", checkpointSha},
                     {"ds.weights", r.weights},
                     {"ds.sampler", plan.ddim ? "ddim" : "ddpm"},
                     {"ds.steps", std::to_string(plan.steps)},
                     {"ds.eta", plan.ddim ? std::to_string(r.eta) : "1"},
                     {"ds.seed", std::to_string(r.seed)},
                     {"ds.image_size", std::to_string(plan.model->config().imageSize)},
                     {"ds.num", std::to_string(plan.xT.size(0))}};
    if (!r.initNoisePath.empty()) text.emplace_back("ds.init_noise", r.initNoisePath);
    if (index >= 0) text.emplace_back("ds.index", std::to_string(index));
    return text;
}

void writeTensorPng(const std::string& path, const torch::Tensor& chw01, const io::PngText& text) {
    const auto img = io::toImage(chw01);
    io::writePng(path, img.pixels.data(), img.width, img.height, img.channels, text);
}

std::string numberedName(int index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%05d.png", index);
    return buf;
}

void prepareOutDir(const std::string& dir, int count) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw fileError(dir, "cannot create the output folder (" + ec.message() + ")");
    // Nothing is lost: refuse to overwrite earlier samples.
    for (int i = 0; i < count; ++i) {
        const auto p = fs::path(dir) / numberedName(i);
        if (fs::exists(p)) throw fileError(p.string(), "already exists; choose an empty --out-dir");
    }
}

// Fail before sampling, not after minutes of it, when an output cannot be written.
void checkOutputFolder(const std::string& path) {
    if (path.empty()) return;
    if (fs::is_directory(path)) throw fileError(path, "is a folder; give a file name");
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent)) throw fileError(path, "its folder does not exist");
}

Plan makePlan(const SampleRequest& r, at::Generator& gen) {
    Plan plan;
    plan.device = parseDevice(r.device);
    plan.ckpt = checkpoint::readDiffusionCheckpoint(r.checkpoint);
    checkpoint::ModelBuildOptions options;
    options.weights = r.weights;
    options.imageSize = r.imageSize;
    options.objective = r.objective;
    options.device = plan.device;
    plan.model = checkpoint::buildDiffusionModel(plan.ckpt, options);
    plan.ddim = r.sampler == "ddim";
    plan.steps = chooseSteps(r, plan.model->config());
    plan.xT = initialNoise(r, *plan.model, gen);
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

SampleResult runSampling(const SampleRequest& r, JobSink& sink, const StopToken& stop) {
    validate(r);
    checkOutputFolder(r.gridPath);
    checkOutputFolder(r.saveTensorsPath);
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    Plan plan = makePlan(r, gen);
    auto& model = *plan.model;
    const int64_t n = plan.xT.size(0);
    if (!r.outDir.empty()) prepareOutDir(r.outDir, static_cast<int>(n));
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
        if (!r.outDir.empty()) {
            for (int64_t i = 0; i < images.size(0); ++i) {
                const int index = static_cast<int>(from + i);
                const auto path = (fs::path(r.outDir) / numberedName(index)).string();
                writeTensorPng(path, images[i], pngMetadata(r, plan, sha, index));
                result.files.push_back(path);
            }
        }
    }

    auto all = torch::cat(samples, 0);
    const auto grid = io::makeGrid(all, r.gridColumns);
    result.grid = io::toImage(grid);
    result.gridMetadata = pngMetadata(r, plan, sha, -1);
    if (!r.gridPath.empty()) {
        writeTensorPng(r.gridPath, grid, result.gridMetadata);
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
