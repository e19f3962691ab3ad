// The probability paths of flow matching (torchcfm's definitions and the seed's OT path) and
// minibatch optimal transport: x_t and u_t on fixed inputs, u_t as the time derivative of x_t
// along each conditional path, the exact plan against brute force over permutations, the
// entropic plan's marginals and limits, and pairs drawn from plans.
#include "core/flow/probability_path.h"
#include "core/flow/transport_plan.h"
#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace ds;

namespace {

torch::Tensor scalarBatch(double v) { return torch::full({1, 1}, v, torch::kDouble); }

double only(const torch::Tensor& t) { return t.item<double>(); }

double planCost(const torch::Tensor& plan, const torch::Tensor& cost) { return (plan * cost).sum().item<double>(); }

// The cheapest assignment by trying every permutation (n! of them; small n only).
double bruteForceAssignmentCost(const torch::Tensor& cost) {
    const int64_t n = cost.size(0);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
        double c = 0;
        for (int64_t i = 0; i < n; ++i) c += cost[i][perm[i]].item<double>();
        best = std::min(best, c);
    } while (std::next_permutation(perm.begin(), perm.end()));
    return best / n;  // the plan puts mass 1/n on each pair
}

}  // namespace

class TestFlowPaths : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Values worked out by hand: x0 = 1, x1 = 3, eps = 0.5, t = 0.25, sigma = 0.1.
    void formulasOnFixedInputs_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<double>("xt");
        QTest::addColumn<double>("ut");
        // mu = 0.25*3 + 0.75*1 = 1.5
        QTest::newRow("icfm") << "icfm" << 1.5 + 0.1 * 0.5 << 2.0;
        QTest::newRow("otcfm (I-CFM after coupling)") << "otcfm" << 1.55 << 2.0;
        // sigma_t = 0.1 * sqrt(0.1875); u = (0.5 / 0.375) * (x_t - mu) + 2
        QTest::newRow("sbcfm") << "sbcfm" << 1.5 + 0.1 * std::sqrt(0.1875) * 0.5
                               << 0.5 / (0.375 + 1e-8) * (0.1 * std::sqrt(0.1875) * 0.5) + 2.0;
        // angle pi/8
        QTest::newRow("vp") << "vp" << std::cos(M_PI / 8) * 1 + std::sin(M_PI / 8) * 3 + 0.05
                            << M_PI / 2 * (std::cos(M_PI / 8) * 3 - std::sin(M_PI / 8) * 1);
        // sigma_t = 1 - 0.9 * 0.25 = 0.775; x_t = 0.75 + 0.775 * 0.5 = 1.1375; u = (3 - 0.9 * 1.1375) / 0.775
        QTest::newRow("target") << "target" << 1.1375 << (3 - 0.9 * 1.1375) / 0.775;
        // x_t = 0.775 * 1 + 0.75 = 1.525; u = 3 - 0.9
        QTest::newRow("ot (the seed's)") << "ot" << 1.525 << 2.1;
    }
    void formulasOnFixedInputs() {
        QFETCH(QString, path);
        QFETCH(double, xt);
        QFETCH(double, ut);
        const auto p = flow::ProbabilityPath::make(path.toStdString(), 0.1);
        const auto point = p->at(scalarBatch(1), scalarBatch(3), torch::full({1}, 0.25, torch::kDouble), scalarBatch(0.5));
        QVERIFY2(std::abs(only(point.xt) - xt) < 1e-12, qPrintable(QString("x_t %1 vs %2").arg(only(point.xt)).arg(xt)));
        QVERIFY2(std::abs(only(point.ut) - ut) < 1e-9, qPrintable(QString("u_t %1 vs %2").arg(only(point.ut)).arg(ut)));
    }

    void velocityIsTheTimeDerivativeOfThePath_data() {
        QTest::addColumn<QString>("path");
        for (const auto& name : flow::ProbabilityPath::names()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void velocityIsTheTimeDerivativeOfThePath() {
        QFETCH(QString, path);
        const auto p = flow::ProbabilityPath::make(path.toStdString(), 0.2);
        torch::manual_seed(1);
        const auto x0 = torch::randn({5, 2, 3}, torch::kDouble), x1 = torch::randn({5, 2, 3}, torch::kDouble);
        const auto eps = torch::randn({5, 2, 3}, torch::kDouble);
        const auto t = torch::tensor({0.1, 0.3, 0.5, 0.7, 0.9}, torch::kDouble);
        const double h = 1e-6;
        const auto forward = p->at(x0, x1, t + h, eps).xt, backward = p->at(x0, x1, t - h, eps).xt;
        const auto derivative = (forward - backward) / (2 * h);
        const double diff = (derivative - p->at(x0, x1, t, eps).ut).abs().max().item<double>();
        QVERIFY2(diff < 1e-6, qPrintable(QString("max |dx_t/dt - u_t| = %1").arg(diff)));
    }

    void targetPathWithNoiseAsSourceIsTheSeedsPath() {
        torch::manual_seed(2);
        const auto x0 = torch::randn({4, 3}, torch::kDouble), x1 = torch::randn({4, 3}, torch::kDouble);
        const auto t = torch::rand({4}, torch::kDouble);
        const auto seed = flow::ProbabilityPath::make("ot", 0.01)->at(x0, x1, t, torch::Tensor());
        const auto target = flow::ProbabilityPath::make("target", 0.01)->at(x0, x1, t, x0);
        QVERIFY(torch::allclose(seed.xt, target.xt, 1e-12, 1e-12));
        QVERIFY(torch::allclose(seed.ut, target.ut, 1e-9, 1e-9));
    }

    void unknownPathIsRejected() {
        QVERIFY_EXCEPTION_THROWN(flow::ProbabilityPath::make("rectified", 0.1), Error);
        QVERIFY_EXCEPTION_THROWN(flow::ProbabilityPath::make("sbcfm", 0.0), Error);
    }

    void exactPlanIsOptimal_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("seed");
        for (int n : {2, 3, 5, 7})
            for (int seed : {0, 1, 2}) QTest::newRow(qPrintable(QString("n=%1 seed=%2").arg(n).arg(seed))) << n << seed;
    }
    void exactPlanIsOptimal() {
        QFETCH(int, n);
        QFETCH(int, seed);
        torch::manual_seed(seed);
        const auto x0 = torch::randn({n, 2}), x1 = torch::randn({n, 2}) + 1.0;
        const auto cost = flow::squaredDistances(x0, x1);
        QVERIFY(torch::allclose(cost, torch::cdist(x0.to(torch::kDouble), x1.to(torch::kDouble)).pow(2), 1e-9, 1e-9));
        const auto plan = flow::exactTransportPlan(cost);
        QVERIFY(std::abs(planCost(plan, cost) - bruteForceAssignmentCost(cost)) < 1e-9);
        // A permutation matrix over n: every row and column has one entry 1/n.
        QVERIFY(torch::allclose(plan.sum(1), torch::full({n}, 1.0 / n, torch::kDouble)));
        QVERIFY(torch::allclose(plan.sum(0), torch::full({n}, 1.0 / n, torch::kDouble)));
        QCOMPARE((plan > 0).sum().item<int64_t>(), int64_t(n));
    }

    void exactPlanHandlesUnequalBatches() {
        torch::manual_seed(3);
        const auto cost = flow::squaredDistances(torch::randn({4, 3}), torch::randn({6, 3}));
        const auto plan = flow::exactTransportPlan(cost);
        QVERIFY(torch::allclose(plan.sum(1), torch::full({4}, 0.25, torch::kDouble)));
        QVERIFY(torch::allclose(plan.sum(0), torch::full({6}, 1.0 / 6, torch::kDouble)));
        // No other plan with these marginals is cheaper; the entropic one, for instance, is not.
        QVERIFY(planCost(plan, cost) <= planCost(flow::entropicTransportPlan(cost, 0.5), cost) + 1e-12);
    }

    void entropicPlanMeetsMarginalsAndLimits() {
        torch::manual_seed(4);
        const auto cost = flow::squaredDistances(torch::randn({6, 2}), torch::randn({6, 2}));
        const double exact = planCost(flow::exactTransportPlan(cost), cost);
        const double reg = 0.2;
        const auto sharp = flow::entropicTransportPlan(cost, reg);
        QVERIFY(torch::allclose(sharp.sum(1), torch::full({6}, 1.0 / 6, torch::kDouble), 1e-7, 1e-9));
        QVERIFY(torch::allclose(sharp.sum(0), torch::full({6}, 1.0 / 6, torch::kDouble), 1e-7, 1e-9));
        // Optimality of the entropic plan bounds its excess cost by reg (H(P_reg) - H(P*)) <= reg log 6.
        const double excess = planCost(sharp, cost) - exact;
        QVERIFY2(excess >= -1e-12 && excess <= reg * std::log(6.0), qPrintable(QString::number(excess)));
        const auto blurred = flow::entropicTransportPlan(cost, 1e4);
        QVERIFY(torch::allclose(blurred, torch::full({6, 6}, 1.0 / 36, torch::kDouble), 1e-3, 1e-4));
    }

    void otCouplingPairsEachSourceWithItsMatch() {
        // x1 is a shuffled, slightly shifted x0: the exact plan undoes the shuffle, and with a
        // permutation plan every drawn pair is a matched one.
        torch::manual_seed(5);
        const auto x0 = torch::randn({6, 2}) * 5;
        const auto order = torch::tensor({3, 0, 5, 1, 4, 2}, torch::kLong);
        const auto x1 = x0.index_select(0, order) + 0.01;
        at::Generator gen = at::detail::createCPUGenerator(7);
        const auto p = flow::ProbabilityPath::make("otcfm", 0.0);
        const auto [a, b] = p->couple(x0, x1, gen);
        QCOMPARE(a.size(0), int64_t(6));
        QVERIFY(torch::allclose(b - a, torch::full_like(a, 0.01), 1e-5, 1e-5));
        // The independent coupling keeps the batch as it is.
        const auto [c, d] = flow::ProbabilityPath::make("icfm", 0.0)->couple(x0, x1, gen);
        QVERIFY(torch::equal(c, x0) && torch::equal(d, x1));
    }

    void pairsFollowThePlan() {
        auto plan = torch::zeros({3, 3}, torch::kDouble);
        plan[0][2] = 0.5;
        plan[2][1] = 0.5;
        const auto x0 = torch::tensor({10.0, 20.0, 30.0}).unsqueeze(1), x1 = torch::tensor({1.0, 2.0, 3.0}).unsqueeze(1);
        at::Generator gen = at::detail::createCPUGenerator(0);
        const auto [a, b] = flow::samplePairsFromPlan(plan, x0, x1, gen);
        for (int64_t i = 0; i < 3; ++i) {
            const double u = a[i][0].item<double>(), v = b[i][0].item<double>();
            QVERIFY((u == 10.0 && v == 3.0) || (u == 30.0 && v == 2.0));
        }
    }
};

QTEST_APPLESS_MAIN(TestFlowPaths)
#include "test_flow_paths.moc"
