// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D flow-matching toy (core/api/flow_toy.h): 8 Gaussians -> moons and Gaussian -> moons
// train in seconds to a small energy distance, OT-CFM's particles travel straighter than
// I-CFM's, and the trajectories it returns are complete and comparable across solvers. The
// class-conditional toy (8 Gaussians labelled by mode): particles reach the class asked for,
// guidance is the classifier-free formula, training drops labels to the null class and keeps
// each label with its target point through the coupling, and the unlabelled toy is unchanged.
#include "core/api/flow_toy.h"
#include "core/flow/probability_path.h"
#include "core/flow/toy_distributions.h"
#include "core/flow/toy_training_batch.h"
#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <cmath>
#include <map>
#include <optional>

using namespace ds;

namespace {

constexpr int kPoints = 1000;
constexpr uint64_t kSampleSeed = 11;

api::FlowToy trained(const std::string& source, const std::string& path) {
    api::FlowToyConfig c;
    c.source = source;
    c.path = path;
    c.seed = 1;
    api::FlowToy toy(c);
    api::JobSink quiet;
    StopToken stop;
    const auto report = toy.train(quiet, stop);
    qInfo("%s -> moons, %s: loss %.3f -> %.3f in %.1f s", source.c_str(), path.c_str(), report.firstLoss,
          report.lastLoss, report.seconds);
    return toy;
}

// 8 Gaussians -> 8 Gaussians labelled by mode.
api::FlowToy trainedConditional(const std::string& path, double dropProb) {
    api::FlowToyConfig c;
    c.target = "8gaussians";
    c.path = path;
    c.conditional = true;
    c.condDropProb = dropProb;
    c.seed = 1;
    api::FlowToy toy(c);
    api::JobSink quiet;
    StopToken stop;
    const auto report = toy.train(quiet, stop);
    qInfo("8gaussians -> labelled 8gaussians, %s, label dropout %.2f: loss %.3f -> %.3f in %.1f s", path.c_str(),
          dropProb, report.firstLoss, report.lastLoss, report.seconds);
    return toy;
}

api::FlowToySolve euler(int steps) {
    api::FlowToySolve s;
    s.solver = "euler";
    s.steps = steps;
    return s;
}

// The fraction of the cloud's points whose nearest 8-Gaussian centre is class k's (for
// kToyEveryClass: point i's class i mod 8).
double fractionNearClass(const api::PointCloud& cloud, int k) {
    const auto centres = flow::eightGaussianCentres();
    const auto points = torch::from_blob(const_cast<float*>(cloud.xy.data()), {int64_t(cloud.size()), 2});
    const auto nearest = torch::cdist(points, centres).argmin(1);
    const auto wanted = k == api::kToyEveryClass ? torch::arange(int64_t(cloud.size())).remainder(8)
                                                 : torch::full({int64_t(cloud.size())}, k, torch::kLong);
    return nearest.eq(wanted).to(torch::kDouble).mean().item<double>();
}

api::PointCloud cloudOf(std::vector<float> xy) { return api::PointCloud{std::move(xy)}; }

}  // namespace

class TestFlowToy : public QObject {
    Q_OBJECT

    std::optional<api::FlowToy> otcfm_, icfm_, conditional_;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        otcfm_.emplace(trained("8gaussians", "otcfm"));
        icfm_.emplace(trained("8gaussians", "icfm"));
        conditional_.emplace(trainedConditional("otcfm", 0.2));
    }

    void eightGaussiansReachMoons() {
        api::FlowToySolve dopri5;
        dopri5.solver = "dopri5";
        dopri5.atol = dopri5.rtol = 1e-4;
        const auto traj = otcfm_->sample(dopri5, kPoints, kSampleSeed);
        // For scale: the source's own distance to the target, and two target samples' distance.
        const double before = api::energyDistance(otcfm_->sourceSamples(kPoints, kSampleSeed),
                                                  otcfm_->targetSamples(kPoints, kSampleSeed));
        const double floor = api::energyDistance(otcfm_->targetSamples(kPoints, 1), otcfm_->targetSamples(kPoints, 2));
        qInfo("energy distance to moons: %.4f after (dopri5, %lld NFE), %.4f before, %.4f between two moon samples",
              traj.energyDistance, static_cast<long long>(traj.nfe), before, floor);
        QVERIFY2(traj.energyDistance < 0.05, qPrintable(QString::number(traj.energyDistance)));
        QVERIFY(traj.energyDistance < before / 20);
    }

    void gaussianReachesMoons() {
        const auto toy = trained("gaussian", "otcfm");
        const auto traj = toy.sample(euler(50), kPoints, kSampleSeed);
        qInfo("Gaussian -> moons: energy distance %.4f (Euler 50)", traj.energyDistance);
        QVERIFY2(traj.energyDistance < 0.05, qPrintable(QString::number(traj.energyDistance)));
    }

    void otcfmIsStraighterThanIcfm() {
        const auto ot = otcfm_->sample(euler(50), kPoints, kSampleSeed);
        const auto independent = icfm_->sample(euler(50), kPoints, kSampleSeed);
        qInfo("straightness (path length / chord): OT-CFM %.4f, I-CFM %.4f", ot.straightness, independent.straightness);
        QVERIFY(ot.straightness >= 1.0 && independent.straightness >= 1.0);
        QVERIFY2(ot.straightness - 1 < 0.5 * (independent.straightness - 1),
                 qPrintable(QString("%1 vs %2").arg(ot.straightness).arg(independent.straightness)));
        // Straighter paths need fewer steps: at 2 Euler steps OT-CFM lands closer to the moons.
        const auto otCoarse = otcfm_->sample(euler(2), kPoints, kSampleSeed);
        const auto independentCoarse = icfm_->sample(euler(2), kPoints, kSampleSeed);
        qInfo("Euler 2: energy distance OT-CFM %.4f, I-CFM %.4f", otCoarse.energyDistance,
              independentCoarse.energyDistance);
        QVERIFY(otCoarse.energyDistance < independentCoarse.energyDistance);
    }

    void trajectoriesAreCompleteAndComparable() {
        const auto a = otcfm_->sample(euler(10), 64, 5);
        QCOMPARE(a.times.size(), size_t(11));
        QCOMPARE(a.clouds.size(), size_t(11));
        QCOMPARE(a.nfe, int64_t(10));
        for (const auto& c : a.clouds) QCOMPARE(c.size(), size_t(64));
        QCOMPARE(a.times.front(), 0.0);
        QCOMPARE(a.times.back(), 1.0);
        // The same seed starts every solver from the same points.
        api::FlowToySolve rk4;
        rk4.solver = "rk4";
        rk4.steps = 5;
        rk4.times = {0.0, 0.5, 1.0};
        const auto b = otcfm_->sample(rk4, 64, 5);
        QCOMPARE(b.clouds.front().xy, a.clouds.front().xy);
        QCOMPARE(b.clouds.front().xy, otcfm_->sourceSamples(64, 5).xy);
        QCOMPARE(b.times, (std::vector<double>{0.0, 0.5, 1.0}));
        QCOMPARE(b.nfe, int64_t(20));
        QVERIFY(a.wallSeconds > 0.0);
    }

    // NFE vs quality: every solver converges to the tight dopri5 reference as it spends more
    // evaluations, higher orders faster; each run costs steps x stages evaluations.
    void solverSweepConvergesToTheReference() {
        api::SolverSweepRequest r;
        r.solvers = {"euler", "rk4", "dopri5"};
        r.steps = {2, 8, 32};
        r.tolerances = {1e-2, 1e-5};
        api::JobSink quiet;
        StopToken stop;
        const auto sweep = otcfm_->sweepSolvers(r, 256, kSampleSeed, quiet, stop);
        QCOMPARE(sweep.points.size(), size_t(8));
        QVERIFY(sweep.referenceNfe > 0);
        const auto at = [&](size_t i) { return sweep.points.at(i); };
        for (size_t i = 0; i < 3; ++i) {
            QCOMPARE(at(i).solver, std::string("euler"));
            QCOMPARE(at(i).nfe, int64_t(r.steps[i]));
            QCOMPARE(at(3 + i).solver, std::string("rk4"));
            QCOMPARE(at(3 + i).nfe, int64_t(4 * r.steps[i]));
        }
        for (size_t i : {0, 1, 3, 4}) QVERIFY2(at(i + 1).error < at(i).error, qPrintable(QString::number(i)));
        QVERIFY(at(4).error < at(1).error);  // rk4 beats Euler at 8 steps
        QCOMPARE(at(6).solver, std::string("dopri5"));
        QCOMPARE(at(6).tolerance, 1e-2);
        QVERIFY(at(7).error < at(6).error && at(7).nfe > at(6).nfe);
        QVERIFY(at(7).error < 1e-3);
        qInfo(
            "error vs reference (%lld NFE): Euler 2/8/32 %.2e %.2e %.2e, RK4 %.2e %.2e %.2e, dopri5 %.2e (%lld) %.2e "
            "(%lld)",
            static_cast<long long>(sweep.referenceNfe), at(0).error, at(1).error, at(2).error, at(3).error, at(4).error,
            at(5).error, at(6).error, static_cast<long long>(at(6).nfe), at(7).error,
            static_cast<long long>(at(7).nfe));
        r.solvers = {"heun"};
        QVERIFY_EXCEPTION_THROWN(otcfm_->sweepSolvers(r, 8, 0, quiet, stop), Error);
        r.solvers = {"euler"};
        r.steps = {};
        QVERIFY_EXCEPTION_THROWN(otcfm_->sweepSolvers(r, 8, 0, quiet, stop), Error);
    }

    // With class k every particle is steered to the k-th Gaussian: at W = 1 (the conditional
    // model alone) most land nearest its centre, at W = 4 at least as many; W = 0 is the
    // unconditional field, which spreads them over all eight.
    void conditionalParticlesReachTheirClass() {
        QCOMPARE(conditional_->classes(), 8);
        api::FlowToySolve s = euler(50);
        double mean1 = 0, mean4 = 0;
        QString figures;
        for (int k = 0; k < 8; ++k) {
            s.classLabel = k;
            s.guidanceScale = 1.0;
            const auto one = conditional_->sample(s, 500, kSampleSeed);
            s.guidanceScale = 4.0;
            const auto four = conditional_->sample(s, 500, kSampleSeed);
            const double f1 = fractionNearClass(one.clouds.back(), k), f4 = fractionNearClass(four.clouds.back(), k);
            figures += QString(" %1: %2/%3").arg(k).arg(f1, 0, 'f', 3).arg(f4, 0, 'f', 3);
            QVERIFY2(f1 > 0.8, qPrintable(figures));
            QVERIFY2(f4 >= f1, qPrintable(figures));
            QCOMPARE(one.classes, std::vector<int>(500, k));
            // The same start whatever the class and scale.
            QCOMPARE(one.clouds.front().xy, conditional_->sourceSamples(500, kSampleSeed).xy);
            mean1 += f1 / 8;
            mean4 += f4 / 8;
        }
        qInfo("fraction nearest the class's centre, W = 1 / W = 4:%s; mean %.3f / %.3f", qPrintable(figures), mean1,
              mean4);
        s.classLabel = 3;
        s.guidanceScale = 0.0;
        const double unguided = fractionNearClass(conditional_->sample(s, 500, kSampleSeed).clouds.back(), 3);
        qInfo("W = 0 (the unconditional field): %.3f nearest class 3", unguided);
        QVERIFY2(unguided < 0.3, qPrintable(QString::number(unguided)));

        // Every class in one picture: particle i gets class i mod 8, and the final cloud is close
        // to the matching class-conditional target.
        s.classLabel = api::kToyEveryClass;
        s.guidanceScale = 1.0;
        const auto every = conditional_->sample(s, 800, kSampleSeed);
        QCOMPARE(every.classes.size(), size_t(800));
        for (int i : {0, 1, 7, 8, 13}) QCOMPARE(every.classes[i], i % 8);
        const double everyFraction = fractionNearClass(every.clouds.back(), api::kToyEveryClass);
        qInfo("every class (i mod 8): %.3f nearest their class, energy distance %.4f", everyFraction,
              every.energyDistance);
        QVERIFY(everyFraction > 0.8);
        QVERIFY2(every.energyDistance < 0.05, qPrintable(QString::number(every.energyDistance)));
        // The null class: the unconditional model, its particles marked with class 8.
        s.classLabel = api::kToyNullClass;
        QCOMPARE(conditional_->sample(s, 16, kSampleSeed).classes, std::vector<int>(16, 8));
    }

    // The guided field is v(null) + W (v(y) - v(null)), the two fields being the network's
    // outputs for one batch of 2B (the points with class y, then with the null class): compared
    // exactly with the formula computed here in float from that batch's outputs, on a few points.
    // (Separate batches of B agree to float rounding only: the matrix products' blocking depends
    // on the batch size.)
    void guidedFieldIsTheClassifierFreeFormula() {
        const std::vector<float> xy{0.0f, 0.0f, 3.0f, -1.0f, -4.5f, 2.0f, 0.25f, 5.0f, -2.0f, -3.0f};
        const auto points = cloudOf(xy);
        const size_t n = points.size();
        std::vector<float> doubled = xy;
        doubled.insert(doubled.end(), xy.begin(), xy.end());
        for (const double t : {0.0, 0.3, 0.9}) {
            const auto null = conditional_->velocity(points, t, api::kToyNullClass);
            for (const int k : {2, 6}) {
                std::vector<int> classes(n, k);
                classes.resize(2 * n, 8);  // then the null class
                const auto both = conditional_->velocityWithClasses(cloudOf(doubled), t, classes);
                const auto conditional = conditional_->velocity(points, t, k, 1.0);
                for (size_t i = 0; i < 2 * n; ++i) {
                    // The batch's halves are the two fields (to rounding, from other batch sizes).
                    QVERIFY(std::abs(both.xy[i] - conditional.xy[i]) < 1e-5);
                    QVERIFY(std::abs(both.xy[2 * n + i] - null.xy[i]) < 1e-5);
                }
                for (const double w : {0.0, 2.5, 4.0}) {
                    const auto guided = conditional_->velocity(points, t, k, w);
                    QCOMPARE(guided.size(), n);
                    for (size_t i = 0; i < 2 * n; ++i) {
                        const float c = both.xy[i], u = both.xy[2 * n + i];
                        const float expected = u + static_cast<float>(w) * (c - u);
                        QVERIFY2(guided.xy[i] == expected,
                                 qPrintable(QString("t %1 class %2 W %3 coordinate %4: %5 vs %6")
                                                .arg(t)
                                                .arg(k)
                                                .arg(w)
                                                .arg(i)
                                                .arg(guided.xy[i], 0, 'g', 9)
                                                .arg(expected, 0, 'g', 9)));
                    }
                }
                QVERIFY(conditional.xy != null.xy);  // a class steers
            }
            // Without a class the scale does not matter: one evaluation of the null class.
            QCOMPARE(conditional_->velocity(points, t, api::kToyNullClass, 4.0).xy, null.xy);
        }
        // Every class: point i's field is that of class i mod 8.
        const auto every = conditional_->velocity(points, 0.5, api::kToyEveryClass, 3.0);
        std::vector<int> modes(n);
        for (size_t i = 0; i < n; ++i) modes[i] = int(i % 8);
        QCOMPARE(every.xy, conditional_->velocityWithClasses(points, 0.5, modes, 3.0).xy);
        QVERIFY_EXCEPTION_THROWN(conditional_->velocityWithClasses(points, 0.5, {1, 2}), Error);
        QVERIFY_EXCEPTION_THROWN(conditional_->velocityWithClasses(points, 0.5, std::vector<int>(n, 9)), Error);
    }

    // Label dropout: with probability 1 every training label is the null class (8), with 0 none
    // is, and 0.2 drops about a fifth. Trained with probability 1, the model never sees a class:
    // every class's field is the same (their embeddings never move from zero).
    void labelDropoutTeachesTheNullClass() {
        const auto path = flow::ProbabilityPath::make("otcfm", 0.1);
        flow::ToyBatchSpec spec;
        spec.source = "8gaussians";
        spec.target = "8gaussians";
        spec.conditional = true;
        spec.size = 256;
        at::Generator gen = at::detail::createCPUGenerator(4);
        spec.dropProb = 1.0;
        QVERIFY(flow::drawToyBatch(spec, *path, gen).labels.eq(8).all().item<bool>());
        spec.dropProb = 0.0;
        const auto kept = flow::drawToyBatch(spec, *path, gen).labels;
        QVERIFY(kept.lt(8).all().item<bool>() && kept.ge(0).all().item<bool>());
        spec.dropProb = 0.2;
        spec.size = 4096;
        const double dropped =
            flow::drawToyBatch(spec, *path, gen).labels.eq(8).to(torch::kDouble).mean().item<double>();
        qInfo("label dropout 0.2: %.4f of 4096 labels dropped", dropped);
        QVERIFY2(std::abs(dropped - 0.2) < 0.03, qPrintable(QString::number(dropped)));

        api::FlowToyConfig c;
        c.target = "8gaussians";
        c.conditional = true;
        c.condDropProb = 1.0;
        c.trainSteps = 100;
        api::FlowToy toy(c);
        api::JobSink quiet;
        StopToken stop;
        toy.train(quiet, stop);
        const auto points = cloudOf({1.0f, 2.0f, -3.0f, 0.5f});
        const auto zero = toy.velocity(points, 0.4, 0);
        for (int k = 1; k < 8; ++k) QCOMPARE(toy.velocity(points, 0.4, k).xy, zero.xy);
        QVERIFY(toy.velocity(points, 0.4, api::kToyNullClass).xy != zero.xy);  // the null class was trained
    }

    // The minibatch couplings reorder (and repeat) the target rows: each label stays with its own
    // target point. The batch is redrawn from the same generator state to know every point's
    // class (the draw order is documented: x0, then the labelled x1).
    void labelsFollowTheirTargetPointsThroughTheCoupling() {
        for (const char* name : {"otcfm", "sbcfm", "icfm"}) {
            const auto path = flow::ProbabilityPath::make(name, 0.5);
            flow::ToyBatchSpec spec;
            spec.source = "gaussian";
            spec.target = "8gaussians";
            spec.conditional = true;
            spec.size = 128;
            at::Generator gen = at::detail::createCPUGenerator(9);
            const auto batch = flow::drawToyBatch(spec, *path, gen);
            at::Generator again = at::detail::createCPUGenerator(9);
            const auto x0 = flow::sampleToyDistribution(spec.source, spec.size, again);
            const auto original = flow::sampleLabelledToyDistribution(spec.target, spec.size, again);
            // Which original row each batch row holds (the points are distinct draws).
            const auto same = (batch.x1.unsqueeze(1) == original.points.unsqueeze(0)).all(2);  // (B, B)
            QVERIFY(same.sum(1).eq(1).all().item<bool>());
            const auto row = same.to(torch::kLong).argmax(1);
            QVERIFY2(torch::equal(batch.labels, original.labels.index_select(0, row)), name);
            // Every x0 is a source draw, and a minibatch plan pairs within each class.
            const auto fromSource = (batch.x0.unsqueeze(1) == x0.unsqueeze(0)).all(2).any(1);
            QVERIFY(fromSource.all().item<bool>());
            const bool reordered = !torch::equal(row, torch::arange(spec.size));
            QVERIFY2(reordered == (std::string(name) != "icfm"), name);
            if (std::string(name) == "icfm") QVERIFY(torch::equal(batch.x0, x0));
        }
    }

    // The unlabelled distributions give the points they gave before classes existed (values
    // printed by the code before this change, seed 123) and leave the generator where they did;
    // the labelled sampler gives the same points; an unconditional training batch is the draw
    // sequence the toy always used (x0, x1, the path's coupling, t, eps).
    void unlabelledDrawsAreUnchanged() {
        const std::map<std::string, std::vector<float>> before{
            {"8gaussians",
             {-0.759218574f, 4.8942256f, 3.65652895f, -0.267637134f, 4.52540112f, 3.90372562f, 5.30874634f,
              0.206446677f, 0.0685626045f, -4.63641596f, 0.926822901f}},
            {"moons",
             {0.563915551f, -1.15962613f, 3.90922689f, -1.98330677f, -0.609074891f, 1.63625658f, 1.81384349f,
              -2.10083961f, -0.544419885f, -0.140559599f, 0.915649533f}},
            {"gaussian",
             {-0.111467116f, 0.120362945f, -0.369634509f, -0.240417972f, -1.19692433f, 0.20926936f, -0.972355008f,
              -0.755045474f, 0.323902756f, -0.108522631f, 0.853571773f}}};
        for (const auto& [name, values] : before) {
            at::Generator gen = at::detail::createCPUGenerator(123);
            const auto p = flow::sampleToyDistribution(name, 5, gen).flatten();
            const float next = torch::rand({1}, gen).item<float>();
            for (int i = 0; i < 10; ++i) QVERIFY2(p[i].item<float>() == values[i], name.c_str());
            QVERIFY2(next == values[10], name.c_str());
        }
        at::Generator a = at::detail::createCPUGenerator(77), b = at::detail::createCPUGenerator(77);
        const auto plain = flow::sampleToyDistribution("8gaussians", 300, a);
        const auto labelled = flow::sampleLabelledToyDistribution("8gaussians", 300, b);
        QVERIFY(torch::equal(plain, labelled.points));
        QVERIFY(torch::equal(torch::rand({4}, a), torch::rand({4}, b)));
        // Each label is its point's Gaussian: the nearest centre for all but rare far draws.
        const double agree = torch::cdist(labelled.points, flow::eightGaussianCentres())
                                 .argmin(1)
                                 .eq(labelled.labels)
                                 .to(torch::kDouble)
                                 .mean()
                                 .item<double>();
        QVERIFY2(agree > 0.98, qPrintable(QString::number(agree)));
        QVERIFY_EXCEPTION_THROWN(flow::sampleLabelledToyDistribution("moons", 3, a), Error);

        for (const char* name : {"otcfm", "icfm"}) {
            const auto path = flow::ProbabilityPath::make(name, 0.1);
            flow::ToyBatchSpec spec;
            spec.source = "8gaussians";
            spec.target = "moons";
            spec.size = 64;
            at::Generator gen = at::detail::createCPUGenerator(5), old = at::detail::createCPUGenerator(5);
            const auto batch = flow::drawToyBatch(spec, *path, gen);
            const auto x0 = flow::sampleToyDistribution(spec.source, spec.size, old);
            const auto x1 = flow::sampleToyDistribution(spec.target, spec.size, old);
            const auto [c0, c1] = path->couple(x0, x1, old);
            QVERIFY(torch::equal(batch.x0, c0) && torch::equal(batch.x1, c1));
            QVERIFY(torch::equal(batch.t, torch::rand({spec.size}, old)));
            QVERIFY(torch::equal(batch.eps, torch::randn({spec.size, 2}, old)));
            QVERIFY(!batch.labels.defined());
        }
    }

    void badConfigurationsAreRejected() {
        api::FlowToyConfig c;
        c.path = "rectified";
        QVERIFY_EXCEPTION_THROWN(api::FlowToy{c}, Error);
        c = {};
        c.source = "spirals";
        QVERIFY_EXCEPTION_THROWN(api::FlowToy{c}, Error);
        api::FlowToySolve s;
        s.solver = "heun";
        QVERIFY_EXCEPTION_THROWN(otcfm_->sample(s, 10, 0), Error);
        // Classes need the labelled target and a dropout probability in [0, 1].
        c = {};
        c.conditional = true;  // the default target, moons, has no classes
        try {
            api::FlowToy toy(c);
            QFAIL("a conditional toy of the moons was built");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("8gaussians"), e.what());
        }
        c.target = "8gaussians";
        c.condDropProb = 1.5;
        QVERIFY_EXCEPTION_THROWN(api::FlowToy{c}, Error);
        // A class the toy does not have, a class for an unconditional toy, a scale that is not a number.
        s = euler(2);
        s.classLabel = 8;
        QVERIFY_EXCEPTION_THROWN(conditional_->sample(s, 10, 0), Error);
        s.classLabel = -3;
        QVERIFY_EXCEPTION_THROWN(conditional_->sample(s, 10, 0), Error);
        s.classLabel = 2;
        QVERIFY_EXCEPTION_THROWN(otcfm_->sample(s, 10, 0), Error);
        s.guidanceScale = std::nan("");
        QVERIFY_EXCEPTION_THROWN(conditional_->sample(s, 10, 0), Error);
        api::JobSink quiet;
        StopToken stop;
        QVERIFY_EXCEPTION_THROWN(otcfm_->sweepSolvers({}, 8, 0, quiet, stop, 2), Error);
    }
};

QTEST_APPLESS_MAIN(TestFlowToy)
#include "test_flow_toy.moc"
