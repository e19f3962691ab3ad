// SPDX-License-Identifier: GPL-3.0-or-later
// Flow sampling: checkpoint -> images (grid, numbered PNGs) and, on request, the trajectory
// (K x N x C x H x W raw states at the recorded times) and the number of velocity evaluations.
#include "core/flow/ode_solver.h"
#include "core/flow/solver_sweep.h"
#include "core/flow/trajectory_metrics.h"
#include "core/io/image_tensor.h"
#include "core/io/torch_file.h"
#include "core/jobs/class_condition.h"
#include "core/jobs/flow_sampling.h"
#include "core/jobs/sample_output.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"
#include "core/util/sha256.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <sstream>

namespace ds::jobs {

namespace {

using api::SampleRequest;

constexpr int kDefaultFixedSteps = 50;
constexpr int64_t kAdaptiveProgressUnits = 1000;  // dopri5 progress: thousandths of the time span

struct FlowPlan {
    flow::VelocityNetwork net;
    torch::Device device = torch::kCPU;
    flow::OdeOptions ode;
    std::vector<double> times;  // first and last: the span; all of them recorded unless recordSteps
    bool recordSteps = false;   // record at the solver's own steps (no --times given)
    int64_t imageSize = 0;
    torch::Tensor noise;    // (N, C, H, W) on the CPU: the state at times.front()
    torch::Tensor classes;  // (N) int64 on the CPU for a class-conditional network, else undefined
    ClassSet classSet;
    int64_t nullClass = -1;  // a network that learned one (our conditional runs): guidance works
    double condScale = 1.0;  // W: v = v_null + W (v_y - v_null); 1: the conditional network alone

    // Recorded points per batch, when known before solving (fixed grids); 0 for dopri5.
    int64_t knownPoints() const {
        if (flow::isAdaptive(ode.method)) return 0;
        return recordSteps ? ode.steps + 1 : static_cast<int64_t>(times.size());
    }
};

// The guidance scale of a flow: W (default 1, the conditional network, as torchcfm's examples
// sample). torchcfm's class-conditional UNetModel learns no null class (its examples train every
// sample with its label), so there is nothing to guide away from: W must be 1 there. Our
// conditional flows learn one (label dropout).
double flowGuidanceScale(const api::ClassConditioning& c, bool hasNullClass) {
    if (c.rescaledPhi == c.rescaledPhi || !c.removeParallelComponent || c.keepParallelFrac != 0.0 || c.cfgPlusPlus)
        throw Error(
            "--rescaled-phi, --keep-parallel-frac, --no-remove-parallel and --cfg-plus-plus apply to lucidrains' "
            "classifier-free guidance diffusion models; a flow's guidance is v_null + W (v_y - v_null)");
    if (c.condScale != c.condScale) return 1.0;
    if (c.condScale < 0) throw Error("--cond-scale must not be negative");
    if (c.condScale != 1.0 && !hasNullClass)
        throw Error(
            "this flow model has no null class (torchcfm trains every sample with its label): classifier-free "
            "guidance needs one, so --cond-scale must be 1");
    return c.condScale;
}

void rejectDiffusionOptions(const SampleRequest& r) {
    if (!r.objective.empty())
        throw fileError(r.checkpoint, "--objective applies to diffusion checkpoints; this is a flow-matching model");
    if (r.eta != 0.0)
        throw fileError(r.checkpoint, "--eta applies to diffusion checkpoints; this is a flow-matching model");
}

std::vector<double> checkedTimes(const std::vector<double>& times) {
    if (times.empty()) return {0.0, 1.0};
    if (times.size() < 2) throw Error("--times needs at least two times (a start and an end)");
    for (size_t i = 0; i < times.size(); ++i) {
        if (times[i] < 0.0 || times[i] > 1.0) throw Error("--times must lie in [0, 1] (0: noise, 1: data)");
        if (i > 0 && !(times[i] > times[i - 1])) throw Error("--times must be strictly increasing");
    }
    return times;
}

flow::OdeOptions odeOptions(const SampleRequest& r, api::JobSink& sink) {
    flow::OdeOptions o;
    o.method = flow::parseOdeMethod(r.solver.empty() ? "dopri5" : r.solver);
    o.atol = r.atol;
    o.rtol = r.rtol;
    if (flow::isAdaptive(o.method)) {
        if (r.steps > 0) sink.onLog("dopri5 chooses its own steps: --steps is ignored (use --atol/--rtol)");
        if (!(o.atol > 0) || !(o.rtol > 0)) throw Error("--atol and --rtol must be positive");
    } else {
        if (r.steps < 0) throw Error("--steps must not be negative");
        o.steps = r.steps > 0 ? r.steps : (r.times.empty() ? kDefaultFixedSteps : 0);
    }
    return o;
}

int64_t chooseImageSize(const SampleRequest& r, const checkpoint::FlowCheckpoint& ck) {
    int64_t size = r.imageSize > 0 ? r.imageSize : ck.imageSize;
    // The U-Net is convolutional: given noise tells the size (initialNoise checks the whole shape).
    if (size <= 0 && !r.initNoisePath.empty()) {
        const auto noise = io::loadSingleTensor(r.initNoisePath);
        if (noise.dim() == 4) size = noise.size(3);
    }
    if (size <= 0)
        throw fileError(ck.path, "the image size is not recorded in this checkpoint: give it with --image-size");
    const int factor = ck.network.downsampleFactor();
    if (size % factor != 0)
        throw fileError(ck.path, "image size " + std::to_string(size) + " is not a multiple of " +
                                     std::to_string(factor) + " (the U-Net halves it at each of its levels)");
    return size;
}

FlowPlan makePlan(const SampleRequest& r, const checkpoint::FlowCheckpoint& ck, api::JobSink& sink,
                  at::Generator& gen) {
    rejectDiffusionOptions(r);
    FlowPlan plan;
    try {
        plan.ode = odeOptions(r, sink);
        plan.times = checkedTimes(r.times);
    } catch (const Error& e) {
        throw fileError(ck.path, e.what());
    }
    plan.recordSteps = r.times.empty();
    plan.device = parseDevice(r.device);
    checkpoint::FlowBuildOptions options;
    options.weights = r.weights;
    options.groups = r.groups;
    options.heads = r.heads;
    options.headChannels = r.headChannels;
    options.attentionOrder = r.attentionOrder;
    options.device = plan.device;
    plan.net = checkpoint::buildVelocityNetwork(ck, options);
    plan.imageSize = chooseImageSize(r, ck);
    plan.noise = initialNoise(r, ck.network.channels(), plan.imageSize, gen);
    try {
        plan.classSet = ClassSet{ck.numClasses(), ck.classNames};
        plan.classes = resolveClasses(r.conditioning, plan.classSet, plan.noise.size(0));
        if (plan.classes.defined()) {
            plan.condScale = flowGuidanceScale(r.conditioning, ck.hasNullClass);
            plan.nullClass = ck.nullClass();
        }
    } catch (const Error& e) {
        throw fileError(ck.path, e.what());
    }
    return plan;
}

// The field the solvers integrate; a class-conditional network's labels ride along (the batch's),
// with the plan's guidance.
flow::VelocityField velocityOf(const FlowPlan& plan, const torch::Tensor& labels = {}) {
    return
        [net = plan.net, labels, nullClass = plan.nullClass, scale = plan.condScale](double t, const torch::Tensor& x) {
            const auto times = torch::full({x.size(0)}, t, x.options());
            return labels.defined() ? net.guided(x, times, labels, nullClass, scale) : net.forward(x, times);
        };
}

torch::Tensor toUnitRange(const torch::Tensor& x) { return ((x + 1) * 0.5).clamp(0, 1); }

// The alpha-bar of the diffusion state with the same signal-to-noise ratio as the OT path's
// x_t = (1 - t) x0 + t x1 (sigma_min neglected): t^2 / (t^2 + (1 - t)^2).
double equivalentAlphaCumprod(double t) { return t * t / (t * t + (1 - t) * (1 - t)); }

api::TrajectoryFrame flowFrame(int index, int64_t knownPoints, double t, const torch::Tensor& x) {
    api::TrajectoryFrame f;
    f.step = index;
    f.steps = knownPoints > 0 ? static_cast<int>(knownPoints - 1) : 0;
    f.t = t >= 1.0 ? -1 : index;
    f.modelT = -1;
    f.time = t;
    f.alphaCumprod = equivalentAlphaCumprod(t);
    f.xt = io::toImage(io::makeGrid(toUnitRange(x).cpu()));
    return f;
}

io::PngText pngMetadata(const SampleRequest& r, const FlowPlan& plan, const std::string& sha, int index) {
    std::vector<std::pair<std::string, std::string>> entries{{"ds.family", api::familyName(api::ModelFamily::Flow)},
                                                             {"ds.solver", flow::odeMethodName(plan.ode.method)}};
    if (flow::isAdaptive(plan.ode.method)) {
        entries.emplace_back("ds.atol", std::to_string(plan.ode.atol));
        entries.emplace_back("ds.rtol", std::to_string(plan.ode.rtol));
    } else {
        entries.emplace_back("ds.steps", std::to_string(plan.ode.steps));
    }
    if (!r.times.empty()) {
        std::string text;
        for (double t : r.times) text += (text.empty() ? "" : ",") + std::to_string(t);
        entries.emplace_back("ds.times", text);
    }
    entries.emplace_back("ds.backbone", flow::backboneName(plan.net.backbone()));
    if (const auto unet = plan.net.flowUnet()) entries.emplace_back("ds.groups", std::to_string(unet->config().groups));
    if (r.heads > 0) entries.emplace_back("ds.heads", std::to_string(r.heads));
    if (r.headChannels > 0) entries.emplace_back("ds.head_channels", std::to_string(r.headChannels));
    if (!r.attentionOrder.empty()) entries.emplace_back("ds.attention_order", r.attentionOrder);
    if (plan.classes.defined())
        for (auto& e : classEntries(plan.classes, plan.classSet, index)) entries.push_back(std::move(e));
    if (plan.classes.defined()) {
        std::ostringstream scale;
        scale << plan.condScale;
        entries.emplace_back("ds.cond_scale", scale.str());
    }
    return samplePngText(r, sha, entries, plan.imageSize, plan.noise.size(0), index);
}

// Solves one batch, reporting points as frames and progress; returns the trajectory.
class BatchRunner {
public:
    BatchRunner(const FlowPlan& plan, api::JobSink& sink, const StopToken& stop, int64_t batches)
        : plan_(plan), sink_(sink), stop_(stop), solver_(flow::OdeSolver::make(plan.ode)),
          unitsPerBatch_(plan.knownPoints() > 0 ? plan.knownPoints() - 1 : kAdaptiveProgressUnits),
          meter_(batches * unitsPerBatch_, plan.knownPoints() > 0 ? "steps" : "t/1000") {}

    flow::OdeTrajectory run(int64_t batch, const torch::Tensor& x0, const torch::Tensor& labels) {
        const auto velocity = velocityOf(plan_, labels);
        const double t0 = plan_.times.front(), span = plan_.times.back() - t0;
        const auto onPoint = [&](int index, double t, const torch::Tensor& x) {
            if (sink_.wantsFrames()) sink_.onFrame(flowFrame(index, plan_.knownPoints(), t, x));
            const int64_t done =
                plan_.knownPoints() > 0 ? index : std::llround((t - t0) / span * kAdaptiveProgressUnits);
            if (index > 0) sink_.onProgress(meter_.at(batch * unitsPerBatch_ + done));
        };
        return solver_->solve(velocity, x0, plan_.times, plan_.recordSteps, onPoint, &stop_);
    }

    double elapsedSeconds() const { return meter_.elapsedSeconds(); }

private:
    const FlowPlan& plan_;
    api::JobSink& sink_;
    const StopToken& stop_;
    std::unique_ptr<flow::OdeSolver> solver_;
    int64_t unitsPerBatch_;
    ProgressMeter meter_;
};

// Each state as (N, C*H*W): one point per image, for the straightness of image paths.
std::vector<torch::Tensor> flattened(const std::vector<torch::Tensor>& states) {
    std::vector<torch::Tensor> out;
    for (const auto& s : states) out.push_back(s.flatten(1));
    return out;
}

void saveTensors(const std::string& path, const torch::Tensor& samples, const std::vector<torch::Tensor>& trajectories,
                 const std::vector<double>& times, int64_t nfe) {
    auto dict = io::PyValue::dict(true);
    dict->set("samples", io::PyValue::tensor(samples));
    dict->set("trajectory", io::PyValue::tensor(torch::cat(trajectories, 1)));
    dict->set("times", io::PyValue::tensor(torch::tensor(times, torch::kDouble).to(torch::kFloat)));
    dict->set("nfe", io::PyValue::integer(nfe));
    io::saveTorchFile(path, dict);
}

}  // namespace

api::SampleResult runFlowSampling(const SampleRequest& r, const checkpoint::FlowCheckpoint& ck, api::JobSink& sink,
                                  const StopToken& stop) {
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    const FlowPlan plan = makePlan(r, ck, sink, gen);
    const int64_t n = plan.noise.size(0);
    const int64_t batches = (n + r.batchSize - 1) / r.batchSize;
    const bool keepTensors = !r.saveTensorsPath.empty();
    if (keepTensors && plan.recordSteps && flow::isAdaptive(plan.ode.method) && batches > 1)
        throw fileError(r.saveTensorsPath,
                        "dopri5 records at its own steps, which differ between batches: give --times, or a "
                        "--batch-size of at least --num");
    if (!r.outDir.empty()) prepareSampleOutDir(r.outDir, static_cast<int>(n));
    const std::string sha = sha256File(r.checkpoint);
    sink.onLog("sampling " + std::to_string(n) + " images with the flow U-Net and " +
               flow::odeMethodName(plan.ode.method) +
               (flow::isAdaptive(plan.ode.method) ? "" : ", " + std::to_string(plan.ode.steps) + " steps") + ", on " +
               plan.device.str());

    BatchRunner runner(plan, sink, stop, batches);
    api::SampleResult result;
    std::vector<torch::Tensor> samples, trajectories;
    std::vector<double> recordedTimes;
    double straightnessSum = 0.0;  // weighted by images
    for (int64_t b = 0; b < batches; ++b) {
        const int64_t from = b * r.batchSize, to = std::min<int64_t>(n, from + r.batchSize);
        const auto labels = plan.classes.defined() ? plan.classes.slice(0, from, to).to(plan.device) : torch::Tensor();
        const auto trajectory = runner.run(b, plan.noise.slice(0, from, to).to(plan.device), labels);
        result.nfe += trajectory.nfe;
        straightnessSum += flow::straightness(flattened(trajectory.states)) * static_cast<double>(to - from);
        if (b == 0) result.steps = static_cast<int>(trajectory.acceptedSteps);
        const auto images = toUnitRange(trajectory.states.back()).cpu();
        samples.push_back(images);
        if (keepTensors) {
            std::vector<torch::Tensor> states;
            for (const auto& s : trajectory.states) states.push_back(s.cpu());
            trajectories.push_back(torch::stack(states, 0));
            recordedTimes = trajectory.times;
        }
        writeNumberedSamples(
            r, images, from, [&](int index) { return pngMetadata(r, plan, sha, index); }, result.files);
    }

    const auto all = torch::cat(samples, 0);
    const auto grid = io::makeGrid(all, r.gridColumns);
    result.grid = io::toImage(grid);
    result.gridMetadata = pngMetadata(r, plan, sha, -1);
    result.gridMetadata.emplace_back("ds.nfe", std::to_string(result.nfe));
    if (!r.gridPath.empty()) {
        writeSamplePng(r.gridPath, grid, result.gridMetadata);
        result.files.push_back(r.gridPath);
    }
    if (keepTensors) {
        saveTensors(r.saveTensorsPath, all, trajectories, recordedTimes, result.nfe);
        result.files.push_back(r.saveTensorsPath);
    }
    result.images = static_cast<int>(n);
    result.seconds = runner.elapsedSeconds();
    result.straightness = straightnessSum / static_cast<double>(n);
    return result;
}

api::SolverSweepResult runFlowSolverSweep(const SampleRequest& r, const checkpoint::FlowCheckpoint& ck,
                                          const api::SolverSweepRequest& sweep, api::JobSink& sink,
                                          const StopToken& stop) {
    c10::InferenceMode inference;
    at::Generator gen = at::detail::createCPUGenerator(r.seed);
    const FlowPlan plan = makePlan(r, ck, sink, gen);
    const auto labels = plan.classes.defined() ? plan.classes.to(plan.device) : torch::Tensor();
    return flow::sweepSolvers(velocityOf(plan, labels), plan.noise.to(plan.device), sweep, sink, stop);
}

}  // namespace ds::jobs
