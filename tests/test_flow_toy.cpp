// SPDX-License-Identifier: GPL-3.0-or-later
// The 2-D flow-matching toy (core/api/flow_toy.h): 8 Gaussians -> moons and Gaussian -> moons
// train in seconds to a small energy distance, OT-CFM's particles travel straighter than
// I-CFM's, and the trajectories it returns are complete and comparable across solvers.
#include "core/api/flow_toy.h"
#include "core/util/error.h"

#include <QtTest>

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

api::FlowToySolve euler(int steps) {
    api::FlowToySolve s;
    s.solver = "euler";
    s.steps = steps;
    return s;
}

}  // namespace

class TestFlowToy : public QObject {
    Q_OBJECT

    std::optional<api::FlowToy> otcfm_, icfm_;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        otcfm_.emplace(trained("8gaussians", "otcfm"));
        icfm_.emplace(trained("8gaussians", "icfm"));
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
    }
};

QTEST_APPLESS_MAIN(TestFlowToy)
#include "test_flow_toy.moc"
