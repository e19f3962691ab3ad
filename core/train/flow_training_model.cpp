// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/flow_training_model.h"

#include "core/checkpoint/state_dict.h"
#include "core/flow/ode_solver.h"
#include "core/util/error.h"

namespace ds::train {

namespace {

// What an enabled torch.amp.GradScaler that never scaled saves: g4vrel/CFM's load_checkpoint()
// hands this entry to GradScaler.load_state_dict, which refuses an empty dict.
io::PyValuePtr idleGradScalerState() {
    auto d = io::PyValue::dict(false);
    d->set("scale", io::PyValue::real(65536.0));
    d->set("growth_factor", io::PyValue::real(2.0));
    d->set("backoff_factor", io::PyValue::real(0.5));
    d->set("growth_interval", io::PyValue::integer(2000));
    d->set("_growth_tracker", io::PyValue::integer(0));
    return d;
}

}  // namespace

FlowTrainingModel::FlowTrainingModel(const TrainConfig& config, const torch::Device& device)
    : config_(config.flow), net_(config.flow.network), ema_(config.flow.network),
      path_(flow::ProbabilityPath::make(config.flow.path, config.flow.sigma)), conditioning_(config.conditioning) {
    if (config.isConditional()) {
        nullClass_ = int64_t(conditioning_.classNames.size());
        if (net_.numClasses() != nullClass_ + 1)
            throw Error("a class-conditional flow network needs " + std::to_string(nullClass_ + 1) +
                        " class embedding rows (the classes and the null class)");
    }
    net_.to(device);
    ema_.to(device);
    net_.train(true);
    ema_.train(false);
}

TrainingModel::Loss FlowTrainingModel::loss(const torch::Tensor& images, const torch::Tensor& labels,
                                            at::Generator& gen, const BatchShard& shard) {
    if (labels.defined() != (nullClass_ >= 0))
        throw Error(nullClass_ >= 0 ? "a class-conditional model trains on labelled batches"
                                    : "an unconditional model takes no labels");
    const auto x1 = images * 2 - 1;
    const auto cpu = x1.options().device(torch::kCPU);
    const auto noise = shard.randn(x1.sizes(), gen, cpu).to(x1.device());
    // A minibatch coupling (OT, SB) pairs within this rank's rows, as torchcfm under DDP does:
    // only independent couplings give exactly the one-process run. The labels go with x1.
    const auto rows = path_->pairing(noise, x1, gen);
    const auto x0 = flow::Coupling::pick(noise, rows.rows0), data = flow::Coupling::pick(x1, rows.rows1);
    const auto t = shard.rand({x1.size(0)}, gen, cpu).to(x1.device());
    const auto eps = shard.randn(x1.sizes(), gen, cpu).to(x1.device());
    const auto point = path_->at(x0, data, t, eps);
    torch::Tensor y;
    if (labels.defined()) {
        // Label dropout (classifier_free_guidance.py's prob_mask_like: kept where u < 1 - p),
        // drawn after everything an unconditional run draws.
        const auto keep = (shard.rand({x1.size(0)}, gen, cpu) < 1.0 - conditioning_.dropProb).to(x1.device());
        y = torch::where(keep, flow::Coupling::pick(labels, rows.rows1), torch::full_like(labels, nullClass_));
    }
    const auto perSample = (net_.forward(point.xt, t, y) - point.ut).pow(2).flatten(1).mean(1);
    const auto position = (t * kPositions).to(torch::kLong).clamp(0, kPositions - 1);
    return {perSample.mean(), perSample, position};
}

void FlowTrainingModel::setChannelsLast(bool on) {
    net_.setChannelsLast(on);
    ema_.setChannelsLast(on);
}

torch::Tensor FlowTrainingModel::preview(const torch::Tensor& noise, int steps, at::Generator& /*gen*/,
                                         const StopToken* stop) {
    flow::OdeOptions o;
    o.method = flow::parseOdeMethod(config_.previewSolver);
    o.steps = steps;
    const auto& ema = ema_;
    torch::Tensor y;  // a conditional model's classes, one row per class
    if (nullClass_ >= 0) {
        const int64_t n = noise.size(0);
        std::vector<int64_t> classes;
        for (int64_t i = 0; i < n; ++i) classes.push_back(previewClassOf(i, n, nullClass_));
        y = torch::tensor(classes, torch::kLong).to(noise.device());
    }
    const int64_t nullClass = nullClass_;
    const double scale = conditioning_.previewScale;
    const auto trajectory = flow::OdeSolver::make(o)->solve(
        [&](double t, const torch::Tensor& x) {
            const auto times = torch::full({x.size(0)}, t, x.options());
            return nullClass >= 0 ? ema.guided(x, times, y, nullClass, scale) : ema.forward(x, times);
        },
        noise, {0.0, 1.0}, false, {}, stop);
    return ((trajectory.states.back() + 1) * 0.5).clamp(0, 1);
}

io::PngText FlowTrainingModel::previewText(int steps) const {
    io::PngText text{{"ds.family", api::familyName(api::ModelFamily::Flow)},
                     {"ds.solver", config_.previewSolver},
                     {"ds.steps", std::to_string(steps)}};
    if (nullClass_ >= 0) text.emplace_back("ds.cond_scale", std::to_string(conditioning_.previewScale));
    return text;
}

void FlowTrainingModel::writeCheckpoint(io::PyValue& root, int64_t step, int64_t epoch, const io::PyValuePtr& optimizer,
                                        const Ema& ema) const {
    using io::PyValue;
    root.set("epoch", PyValue::integer(epoch));
    root.set("step", PyValue::integer(step));
    root.set("model_state_dict", checkpoint::StateDict::fromModule(*net_.module()).toPyDict());
    root.set("optim_state_dict", optimizer);
    auto averaged = PyValue::dict(true);
    averaged->set("n_averaged", PyValue::tensor(torch::tensor(ema.step(), torch::kLong)));
    const auto emaWeights = checkpoint::StateDict::fromModule(*ema_.module(), "module.");
    for (const auto& [name, t] : emaWeights.entries())
        averaged->set(name, PyValue::tensor(t.detach().cpu().contiguous()));
    root.set("ema_model_state_dict", averaged);
    root.set("scaler_state_dict", idleGradScalerState());
    auto state = PyValue::dict(false);
    state->set("initted", PyValue::boolean(ema.initted()));
    state->set("step", PyValue::integer(ema.step()));
    root.set("ema_state", state);
    root.set("version", PyValue::str(std::string("diffusion-studio ") + DS_VERSION));
}

const io::PyValue& FlowTrainingModel::readCheckpoint(const io::PyValue& root, Ema& ema) {
    checkpoint::StateDict::fromPyDict(root.at("model_state_dict")).loadInto(*net_.module(), "the model weights");
    const auto& state = root.at("ema_state");
    ema.load(checkpoint::StateDict::fromPyDict(root.at("ema_model_state_dict")).withPrefix("module."),
             state.at("step").asInt(), state.at("initted").asBool());
    return root.at("optim_state_dict");
}

}  // namespace ds::train
