// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D flow-matching toy behind core/api/flow_toy.h: the MLP, its training loop (Adam on the
// chosen path's loss, batches drawn fresh from the two distributions) and solver runs.
#include "core/api/flow_toy.h"

#include "core/flow/flow_matching_loss.h"
#include "core/flow/ode_solver.h"
#include "core/flow/solver_sweep.h"
#include "core/flow/toy_distributions.h"
#include "core/flow/toy_velocity_mlp.h"
#include "core/flow/trajectory_metrics.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

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

    flow::VelocityField velocity() {  // non-const: the MLP's forward is
        auto& net = *mlp;
        return [&net](double t, const torch::Tensor& x) {
            return net.forward(x, torch::full({x.size(0)}, t, x.options()));
        };
    }
};

FlowToy::FlowToy(const FlowToyConfig& config) : impl_(std::make_unique<Impl>()) {
    validate(config);
    impl_->config = config;
    torch::manual_seed(config.seed);  // parameter initialisation
    impl_->mlp = flow::ToyVelocityMlp(2, config.hidden);
    impl_->path = flow::ProbabilityPath::make(config.path, config.sigma);
}

FlowToy::~FlowToy() = default;
FlowToy::FlowToy(FlowToy&&) noexcept = default;
FlowToy& FlowToy::operator=(FlowToy&&) noexcept = default;

const FlowToyConfig& FlowToy::config() const { return impl_->config; }

FlowToyTrainReport FlowToy::train(JobSink& sink, const StopToken& stop) {
    const auto& c = impl_->config;
    auto& mlp = *impl_->mlp;
    mlp.train();
    torch::optim::Adam adam(mlp.parameters(), torch::optim::AdamOptions(c.lr));
    at::Generator gen = at::detail::createCPUGenerator(c.seed);
    const flow::VelocityModel model = [&mlp](const torch::Tensor& x, const torch::Tensor& t) {
        return mlp.forward(x, t);
    };
    ProgressMeter meter(c.trainSteps, "steps");
    FlowToyTrainReport report;
    double windowSum = 0.0;
    for (int step = 1; step <= c.trainSteps; ++step) {
        throwIfStopped(&stop);
        const auto x0 = flow::sampleToyDistribution(c.source, c.batchSize, gen);
        const auto x1 = flow::sampleToyDistribution(c.target, c.batchSize, gen);
        const auto [a, b] = impl_->path->couple(x0, x1, gen);
        const auto t = torch::rand({c.batchSize}, gen);
        const auto eps = torch::randn({c.batchSize, 2}, gen);
        adam.zero_grad();
        const auto loss = flow::flowMatchingLoss(model, *impl_->path, a, b, t, eps).loss;
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
    const auto v = impl_->velocity();
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
    out.energyDistance =
        flow::energyDistance(traj.states.back(), impl_->samples(impl_->config.target, points, seed ^ kTargetSalt));
    return out;
}

SolverSweepResult FlowToy::sweepSolvers(const SolverSweepRequest& sweep, int points, uint64_t seed, JobSink& sink,
                                        const StopToken& stop) const {
    if (points < 1) throw Error("the toy needs at least one point to sample");
    return flow::sweepSolvers(impl_->velocity(), impl_->samples(impl_->config.source, points, seed ^ kSourceSalt),
                              sweep, sink, stop);
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
