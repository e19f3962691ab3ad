// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D flow-matching toy behind core/api/flow_toy.h: the MLP, its training loop (Adam on the
// chosen path's loss, batches drawn fresh from the two distributions) and solver runs, with
// classifier-free guidance when the toy is class-conditional.
#include "core/api/flow_toy.h"

#include "core/flow/flow_matching_loss.h"
#include "core/flow/ode_solver.h"
#include "core/flow/solver_sweep.h"
#include "core/flow/toy_distributions.h"
#include "core/flow/toy_training_batch.h"
#include "core/flow/toy_velocity_mlp.h"
#include "core/flow/trajectory_metrics.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>

namespace ds::api {

namespace {

constexpr int kReportEvery = 50;
// Salts that keep the training, source and target streams apart for one user seed.
constexpr uint64_t kSourceSalt = 0x50555243ULL, kTargetSalt = 0x54415247ULL;

PointCloud toCloud(const torch::Tensor& points) {
    const auto p = points.to(torch::kCPU, torch::kFloat).contiguous();
    PointCloud c;
    c.xy.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    return c;
}

torch::Tensor fromCloud(const PointCloud& c) {
    return torch::from_blob(const_cast<float*>(c.xy.data()), {static_cast<int64_t>(c.size()), 2}, torch::kFloat)
        .clone();
}

void validate(const FlowToyConfig& c) {
    at::Generator probe = at::detail::createCPUGenerator(0);
    flow::sampleToyDistribution(c.source, 1, probe);  // throws for unknown names
    flow::sampleToyDistribution(c.target, 1, probe);
    flow::ProbabilityPath::make(c.path, c.sigma);
    if (c.hidden < 1 || c.trainSteps < 0 || c.batchSize < 2 || !(c.lr > 0))
        throw Error("the toy needs hidden >= 1, train steps >= 0, batch size >= 2 and lr > 0");
    if (c.conditional) {
        if (flow::toyDistributionClasses(c.target) == 0)
            throw Error(
                "a class-conditional toy needs a labelled target: 8gaussians (its classes are the 8 modes), not '" +
                c.target + "'");
        if (!(c.condDropProb >= 0 && c.condDropProb <= 1))
            throw Error("the label dropout probability must lie between 0 and 1");
    }
}

}  // namespace

struct FlowToy::Impl {
    FlowToyConfig config;
    flow::ToyVelocityMlp mlp{nullptr};
    std::unique_ptr<flow::ProbabilityPath> path;

    torch::Tensor samples(const std::string& name, int n, uint64_t seed) const {
        at::Generator gen = at::detail::createCPUGenerator(seed);
        return flow::sampleToyDistribution(name, n, gen);
    }

    int64_t classes() const { return mlp->classes(); }

    // Each of n particles' class for a FlowToySolve::classLabel: undefined for the null class
    // (the unconditional field). Throws for a class the toy does not have.
    torch::Tensor particleClasses(int classLabel, int64_t n) const {
        const int64_t k = classes();
        if (classLabel == kToyNullClass) return {};
        if (k == 0)
            throw Error("this toy was trained without classes: sample it without a class (its target " + config.target +
                        " is not conditional)");
        if (classLabel == kToyEveryClass) return torch::arange(n, torch::kLong).remainder(k);
        if (classLabel < 0 || classLabel >= k)
            throw Error("the toy has classes 0 to " + std::to_string(k - 1) + ", not " + std::to_string(classLabel));
        return torch::full({n}, classLabel, torch::kLong);
    }

    // The field the solvers integrate (non-const: the MLP's forward is). labels: each row's
    // class, or undefined for the null class (then the scale does not matter: v(null) + W (v(null)
    // - v(null)) = v(null)).
    flow::VelocityField velocity(const torch::Tensor& labels = {}, double scale = 1.0) {
        auto& net = *mlp;
        if (!std::isfinite(scale)) throw Error("the guidance scale must be a finite number");
        if (!labels.defined() || scale == 1.0) {  // one evaluation: W = 1 is v(x, t, y) itself
            return [&net, labels](double t, const torch::Tensor& x) {
                return net.forward(x, torch::full({x.size(0)}, t, x.options()), labels);
            };
        }
        // Classifier-free guidance: the conditional and the null-class field in one batch of 2B.
        const auto both = torch::cat({labels, torch::full_like(labels, net.nullClass())});
        return [&net, both, scale](double t, const torch::Tensor& x) {
            const int64_t n = x.size(0);
            const auto v = net.forward(torch::cat({x, x}), torch::full({2 * n}, t, x.options()), both);
            const auto conditional = v.narrow(0, 0, n), unconditional = v.narrow(0, n, n);
            return unconditional + scale * (conditional - unconditional);
        };
    }
};

FlowToy::FlowToy(const FlowToyConfig& config) : impl_(std::make_unique<Impl>()) {
    validate(config);
    impl_->config = config;
    torch::manual_seed(config.seed);  // parameter initialisation
    impl_->mlp =
        flow::ToyVelocityMlp(2, config.hidden, config.conditional ? flow::toyDistributionClasses(config.target) : 0);
    impl_->path = flow::ProbabilityPath::make(config.path, config.sigma);
}

FlowToy::~FlowToy() = default;
FlowToy::FlowToy(FlowToy&&) noexcept = default;
FlowToy& FlowToy::operator=(FlowToy&&) noexcept = default;

const FlowToyConfig& FlowToy::config() const { return impl_->config; }

int FlowToy::classes() const { return static_cast<int>(impl_->classes()); }

FlowToyTrainReport FlowToy::train(JobSink& sink, const StopToken& stop) {
    const auto& c = impl_->config;
    auto& mlp = *impl_->mlp;
    mlp.train();
    torch::optim::Adam adam(mlp.parameters(), torch::optim::AdamOptions(c.lr));
    at::Generator gen = at::detail::createCPUGenerator(c.seed);
    flow::ToyBatchSpec spec;
    spec.source = c.source;
    spec.target = c.target;
    spec.size = c.batchSize;
    spec.conditional = c.conditional;
    spec.dropProb = c.condDropProb;
    ProgressMeter meter(c.trainSteps, "steps");
    FlowToyTrainReport report;
    double windowSum = 0.0;
    for (int step = 1; step <= c.trainSteps; ++step) {
        throwIfStopped(&stop);
        const auto batch = flow::drawToyBatch(spec, *impl_->path, gen);
        const flow::VelocityModel model = [&mlp, &batch](const torch::Tensor& x, const torch::Tensor& t) {
            return mlp.forward(x, t, batch.labels);
        };
        adam.zero_grad();
        const auto loss = flow::flowMatchingLoss(model, *impl_->path, batch.x0, batch.x1, batch.t, batch.eps).loss;
        loss.backward();
        adam.step();
        windowSum += loss.item<double>();
        if (step % kReportEvery == 0 || step == c.trainSteps) {
            const int window = step % kReportEvery == 0 ? kReportEvery : step % kReportEvery;
            const double mean = windowSum / window;
            if (step <= kReportEvery) report.firstLoss = mean;
            report.lastLoss = mean;
            windowSum = 0.0;
            TrainMetrics m;
            m.step = step;
            m.totalSteps = c.trainSteps;
            m.loss = mean;
            m.lr = c.lr;
            m.wallSeconds = meter.elapsedSeconds();
            sink.onMetrics(m);
            sink.onProgress(meter.at(step));
        }
    }
    mlp.eval();
    report.steps = c.trainSteps;
    report.seconds = meter.elapsedSeconds();
    return report;
}

FlowToyTrajectory FlowToy::sample(const FlowToySolve& solve, int points, uint64_t seed) const {
    if (points < 1) throw Error("the toy needs at least one point to sample");
    c10::InferenceMode inference;
    flow::OdeOptions o;
    o.method = flow::parseOdeMethod(solve.solver);
    o.steps = solve.steps;
    o.atol = solve.atol;
    o.rtol = solve.rtol;
    if (!flow::isAdaptive(o.method) && o.steps < 1 && solve.times.empty())
        throw Error("fixed-grid solvers need steps >= 1");
    const auto labels = impl_->particleClasses(solve.classLabel, points);
    const auto v = impl_->velocity(labels, solve.guidanceScale);
    const auto x0 = impl_->samples(impl_->config.source, points, seed ^ kSourceSalt);
    const bool recordSteps = solve.times.empty();
    const auto start = std::chrono::steady_clock::now();
    const auto traj =
        flow::OdeSolver::make(o)->solve(v, x0, recordSteps ? std::vector<double>{0.0, 1.0} : solve.times, recordSteps);
    FlowToyTrajectory out;
    out.wallSeconds = secondsSince(start);
    out.times = traj.times;
    for (const auto& s : traj.states) out.clouds.push_back(toCloud(s));
    out.nfe = traj.nfe;
    out.straightness = flow::straightness(traj.states);
    at::Generator targetGen = at::detail::createCPUGenerator(seed ^ kTargetSalt);
    const auto target = labels.defined() ? flow::sampleToyClasses(impl_->config.target, labels, targetGen)
                                         : flow::sampleToyDistribution(impl_->config.target, points, targetGen);
    out.energyDistance = flow::energyDistance(traj.states.back(), target);
    if (impl_->classes() > 0) {
        const auto shown = labels.defined() ? labels : torch::full({points}, impl_->classes(), torch::kLong);
        out.classes.assign(shown.data_ptr<int64_t>(), shown.data_ptr<int64_t>() + points);
    }
    return out;
}

PointCloud FlowToy::velocity(const PointCloud& points, double t, int classLabel, double guidanceScale) const {
    c10::InferenceMode inference;
    const auto x = fromCloud(points);
    const auto labels = impl_->particleClasses(classLabel, x.size(0));
    return toCloud(impl_->velocity(labels, guidanceScale)(t, x));
}

PointCloud FlowToy::velocityWithClasses(const PointCloud& points, double t, const std::vector<int>& classes,
                                        double guidanceScale) const {
    const int64_t k = impl_->classes();
    if (k == 0) throw Error("this toy was trained without classes: it takes no class per point");
    if (classes.size() != points.size())
        throw Error("one class per point is needed (" + std::to_string(points.size()) + " points, " +
                    std::to_string(classes.size()) + " classes)");
    for (int c : classes)
        if (c < 0 || c > k)
            throw Error("a point's class must lie between 0 and " + std::to_string(k) + " (the null class), not " +
                        std::to_string(c));
    c10::InferenceMode inference;
    const auto labels = torch::tensor(std::vector<int64_t>(classes.begin(), classes.end()), torch::kLong);
    return toCloud(impl_->velocity(labels, guidanceScale)(t, fromCloud(points)));
}

SolverSweepResult FlowToy::sweepSolvers(const SolverSweepRequest& sweep, int points, uint64_t seed, JobSink& sink,
                                        const StopToken& stop, int classLabel, double guidanceScale) const {
    if (points < 1) throw Error("the toy needs at least one point to sample");
    const auto v = impl_->velocity(impl_->particleClasses(classLabel, points), guidanceScale);
    return flow::sweepSolvers(v, impl_->samples(impl_->config.source, points, seed ^ kSourceSalt), sweep, sink, stop);
}

PointCloud FlowToy::sourceSamples(int points, uint64_t seed) const {
    return toCloud(impl_->samples(impl_->config.source, points, seed ^ kSourceSalt));
}

PointCloud FlowToy::targetSamples(int points, uint64_t seed) const {
    return toCloud(impl_->samples(impl_->config.target, points, seed ^ kTargetSalt));
}

double energyDistance(const PointCloud& a, const PointCloud& b) {
    return flow::energyDistance(fromCloud(a), fromCloud(b));
}

}  // namespace ds::api
