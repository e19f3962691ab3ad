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
    qInfo("%s -> moons, %s: loss %.3f -> %.3f in %.1f s", source.c_str(), path.c_str(), report.firstLoss, report.lastLoss,
          report.seconds);
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
        qInfo("Euler 2: energy distance OT-CFM %.4f, I-CFM %.4f", otCoarse.energyDistance, independentCoarse.energyDistance);
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
