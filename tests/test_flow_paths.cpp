// SPDX-License-Identifier: GPL-3.0-or-later
// The probability paths of flow matching (torchcfm's definitions and g4vrel/CFM's OT path) and
// minibatch optimal transport: x_t and u_t on fixed inputs, u_t as the time derivative of x_t
// along each conditional path, the exact plan against brute force over permutations, the
// entropic plan's marginals and limits, and pairs drawn from plans.
//
// Tolerances: paths and plans are float64 arithmetic, held to a few float64 epsilons of the
// magnitudes they are computed from, times what amplifies them (a division by sigma_t, the 1 / h
// of a finite difference); Sinkhorn's plan to the marginal error it stops at; float32 pairs to
// float32 epsilons. Negative controls: another sigma, swapped endpoints, the dearest assignment,
// the independent coupling.
#include "core/flow/probability_path.h"
#include "core/flow/transport_plan.h"
#include "core/util/error.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/tolerance.h"

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

double maxAbs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

// The cheapest and the dearest assignment by trying every permutation (n! of them; small n only).
std::pair<double, double> bruteForceAssignmentCosts(const torch::Tensor& cost) {
    const int64_t n = cost.size(0);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity(), worst = -best;
    do {
        double c = 0;
        for (int64_t i = 0; i < n; ++i) c += cost[i][perm[i]].item<double>();
        best = std::min(best, c);
        worst = std::max(worst, c);
    } while (std::next_permutation(perm.begin(), perm.end()));
    return {best / n, worst / n};  // the plan puts mass 1/n on each pair
}

// A dozen float64 operations on values of magnitude m: 16 epsilons of m.
double float64Arithmetic(double m) { return 16 * test::kFloat64Epsilon * m; }

// A marginal of a plan: a float64 sum of n entries that add up to at most 1, each addition
// rounding by an epsilon of its partial sum: n epsilons.
double marginalRounding(int64_t n) { return double(n) * test::kFloat64Epsilon; }

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
        QTest::newRow("ot (g4vrel/CFM's)") << "ot" << 1.525 << 2.1;
    }
    void formulasOnFixedInputs() {
        QFETCH(QString, path);
        QFETCH(double, xt);
        QFETCH(double, ut);
        const auto p = flow::ProbabilityPath::make(path.toStdString(), 0.1);
        const auto t = torch::full({1}, 0.25, torch::kDouble);
        const auto point = p->at(scalarBatch(1), scalarBatch(3), t, scalarBatch(0.5));
        // A dozen float64 operations on inputs <= 3, the largest amplification a division by
        // sigma_t = 0.775 (target) or (1 - 2t) / (2t(1 - t)) = 1.33 (sbcfm): 16 epsilons of 3 x 1.34.
        const double tol = float64Arithmetic(3 * 1.34);
        const std::string name = "paths/" + path.toStdString();
        DS_CHECK_TOLERANCE(name + "/x_t", std::abs(only(point.xt) - xt), tol);
        DS_CHECK_TOLERANCE(name + "/u_t", std::abs(only(point.ut) - ut), tol);
        // Negative control: the same path with sigma 0.2 moves x_t by 0.025 or more.
        const auto other = flow::ProbabilityPath::make(path.toStdString(), 0.2)
                               ->at(scalarBatch(1), scalarBatch(3), t, scalarBatch(0.5));
        DS_CHECK_NEGATIVE_CONTROL(name + "/x_t with sigma 0.2", std::abs(only(other.xt) - xt), tol, 10.0);
    }

    void velocityIsTheTimeDerivativeOfThePath_data() {
        QTest::addColumn<QString>("path");
        for (const auto& name : flow::ProbabilityPath::names())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
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
        const auto point = p->at(x0, x1, t, eps);
        const double diff = (derivative - point.ut).abs().max().item<double>();
        // A central difference: each x_t rounds by a few epsilons of its magnitude, and t +- h
        // by an epsilon of t <= 1 (an error of eps / 2h in the step, times u_t), all divided by
        // 2h; its truncation, h^2 / 6 times x_t's third time derivative (<= 200 x the inputs
        // here: sbcfm's sqrt(t(1 - t)) at t = 0.1), is 1e-10 at most.
        const double maxInput = std::max({maxAbs(x0), maxAbs(x1), maxAbs(eps)});
        double tol = (4 * maxAbs(point.xt) + maxAbs(point.ut)) * test::kFloat64Epsilon / h + h * h / 6 * 200 * maxInput;
        if (path == "sbcfm") {
            // torchcfm's u_t adds 1e-8 to 2t(1 - t): off the derivative by 1e-8 / (2t(1 - t)) of
            // its noise term (1 - 2t) / (2t(1 - t)) sigma_t eps.
            const auto tt = t.view({5, 1, 1}), twice = 2 * tt * (1 - tt);
            tol += maxAbs((1 - 2 * tt) / twice * 0.2 * torch::sqrt(tt * (1 - tt)) * eps * 1e-8 / twice);
        }
        const std::string name = "paths/" + path.toStdString() + "/dx_t_dt";
        DS_CHECK_TOLERANCE(name, diff, tol);
        // Negative control: the velocity with the endpoints swapped.
        DS_CHECK_NEGATIVE_CONTROL(name + " against u_t with x0 and x1 swapped",
                                  (derivative - p->at(x1, x0, t, eps).ut).abs().max().item<double>(), tol, 10.0);
    }

    void targetPathWithNoiseAsSourceIsTheSeedsPath() {
        torch::manual_seed(2);
        const auto x0 = torch::randn({4, 3}, torch::kDouble), x1 = torch::randn({4, 3}, torch::kDouble);
        const auto t = torch::rand({4}, torch::kDouble);
        const auto seed = flow::ProbabilityPath::make("ot", 0.01)->at(x0, x1, t, torch::Tensor());
        const auto target = flow::ProbabilityPath::make("target", 0.01)->at(x0, x1, t, x0);
        // The same x_t in another order of float64 operations; target's u_t divides by
        // sigma_t = 1 - 0.99 t (>= 0.01), amplifying its x_t's rounding by 1 / sigma_t.
        const double magnitude = std::max(maxAbs(x0), maxAbs(x1));
        const double xtTol = float64Arithmetic(magnitude);
        const double utTol = float64Arithmetic(magnitude) / (1 - 0.99 * t.max().item<double>());
        DS_CHECK_TOLERANCE("paths/seed_vs_target/x_t", maxAbs(seed.xt - target.xt), xtTol);
        DS_CHECK_TOLERANCE("paths/seed_vs_target/u_t", maxAbs(seed.ut - target.ut), utTol);
        // Negative control: g4vrel/CFM's path with sigma_min 0.02 instead of 0.01.
        const auto other = flow::ProbabilityPath::make("ot", 0.02)->at(x0, x1, t, torch::Tensor());
        DS_CHECK_NEGATIVE_CONTROL("paths/seed_vs_target/u_t with sigma_min 0.02", maxAbs(other.ut - target.ut), utTol,
                                  10.0);
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
        // |a|^2 + |b|^2 - 2 a.b in float64 against cdist's squared root of the differences:
        // both round by a few epsilons of |a|^2 + |b|^2 (2 dimensions).
        const std::string name = "paths/exact_plan_n" + std::to_string(n) + "_seed" + std::to_string(seed);
        const double magnitude = std::pow(maxAbs(x0), 2) * 2 + std::pow(maxAbs(x1), 2) * 2;
        DS_CHECK_TOLERANCE(name + "/cost",
                           maxAbs(cost - torch::cdist(x0.to(torch::kDouble), x1.to(torch::kDouble)).pow(2)),
                           float64Arithmetic(magnitude));
        const auto plan = flow::exactTransportPlan(cost);
        // Two sums of n costs / n, in other orders: n epsilons of the largest cost.
        const auto [cheapest, dearest] = bruteForceAssignmentCosts(cost);
        const double costTol = double(n) * test::kFloat64Epsilon * maxAbs(cost);
        DS_CHECK_TOLERANCE(name + "/plan_cost", std::abs(planCost(plan, cost) - cheapest), costTol);
        DS_CHECK_NEGATIVE_CONTROL(name + "/dearest assignment", std::abs(dearest - cheapest), costTol, 10.0);
        // A permutation matrix over n: every row and column has one entry 1/n.
        DS_CHECK_TOLERANCE(name + "/rows", maxAbs(plan.sum(1) - 1.0 / n), marginalRounding(n));
        DS_CHECK_TOLERANCE(name + "/columns", maxAbs(plan.sum(0) - 1.0 / n), marginalRounding(n));
        QCOMPARE((plan > 0).sum().item<int64_t>(), int64_t(n));
    }

    void exactPlanHandlesUnequalBatches() {
        torch::manual_seed(3);
        const auto cost = flow::squaredDistances(torch::randn({4, 3}), torch::randn({6, 3}));
        const auto plan = flow::exactTransportPlan(cost);
        DS_CHECK_TOLERANCE("paths/exact_plan_4x6/rows", maxAbs(plan.sum(1) - 0.25), marginalRounding(6));
        DS_CHECK_TOLERANCE("paths/exact_plan_4x6/columns", maxAbs(plan.sum(0) - 1.0 / 6), marginalRounding(4));
        // No other plan with these marginals is cheaper; the entropic one, for instance, is not.
        QVERIFY(planCost(plan, cost) <= planCost(flow::entropicTransportPlan(cost, 0.5), cost) + 1e-12);
    }

    void entropicPlanMeetsMarginalsAndLimits() {
        torch::manual_seed(4);
        const auto cost = flow::squaredDistances(torch::randn({6, 2}), torch::randn({6, 2}));
        const double exact = planCost(flow::exactTransportPlan(cost), cost);
        const double reg = 0.2;
        const auto sharp = flow::entropicTransportPlan(cost, reg);
        // Sinkhorn stops when the rows' marginal errors sum to under 1e-9; its last update makes
        // the columns exact up to rounding: exp((f + g - C) / reg) of potentials and costs up to
        // max C, rounded by a few epsilons of max C / reg, is off by as much relatively.
        const double entryRounding = 4 * test::kFloat64Epsilon * maxAbs(cost) / reg;
        DS_CHECK_TOLERANCE("paths/entropic_plan/rows", maxAbs(sharp.sum(1) - 1.0 / 6), 1e-9 + marginalRounding(6));
        DS_CHECK_TOLERANCE("paths/entropic_plan/columns", maxAbs(sharp.sum(0) - 1.0 / 6),
                           marginalRounding(6) + entryRounding / 6);
        // Optimality of the entropic plan bounds its excess cost by reg (H(P_reg) - H(P*)) <= reg log 6.
        const double excess = planCost(sharp, cost) - exact;
        QVERIFY2(excess >= -1e-12 && excess <= reg * std::log(6.0), qPrintable(QString::number(excess)));
        const auto blurred = flow::entropicTransportPlan(cost, 1e4);
        // exp(-C / reg) is uniform to first order in C / reg: entries within 1/36 x 2 max C / reg.
        const double blurTol = 1.0 / 36 * 2 * maxAbs(cost) / 1e4;
        DS_CHECK_TOLERANCE("paths/entropic_plan_reg_1e4", maxAbs(blurred - 1.0 / 36), blurTol);
        DS_CHECK_NEGATIVE_CONTROL("paths/entropic_plan_reg_0.2 against uniform", maxAbs(sharp - 1.0 / 36), blurTol,
                                  10.0);
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
        // float32: x1 = x0 + 0.01 rounds by half an epsilon of |x1|, b - a by as much again.
        const double tol = test::kFloat32Epsilon * maxAbs(x1);
        DS_CHECK_TOLERANCE("paths/ot_coupling_pairs", maxAbs(b - a - 0.01), tol);
        // The independent coupling keeps the batch as it is (and, a negative control, its pairs
        // are not matched).
        const auto [c, d] = flow::ProbabilityPath::make("icfm", 0.0)->couple(x0, x1, gen);
        QVERIFY(torch::equal(c, x0) && torch::equal(d, x1));
        DS_CHECK_NEGATIVE_CONTROL("paths/independent_coupling_pairs", maxAbs(d - c - 0.01), tol, 10.0);

        // What travels with x1 (a conditional batch's labels) is picked by the same rows: the
        // pairing couple() applies, drawn from the same generator state.
        for (const std::string name : {"otcfm", "sbcfm"}) {
            const auto path = flow::ProbabilityPath::make(name, 1.0);
            at::Generator g1 = at::detail::createCPUGenerator(9), g2 = at::detail::createCPUGenerator(9);
            const auto [e, f] = path->couple(x0, x1, g1);
            const auto rows = path->pairing(x0, x1, g2);
            QVERIFY(rows.rows0.defined() && rows.rows1.defined());
            QVERIFY(torch::equal(flow::Coupling::pick(x0, rows.rows0), e));
            QVERIFY(torch::equal(flow::Coupling::pick(x1, rows.rows1), f));
            const auto labels = torch::arange(6, torch::kLong);  // x1's row numbers
            const auto picked = flow::Coupling::pick(labels, rows.rows1);
            for (int64_t i = 0; i < 6; ++i) QVERIFY(torch::equal(f[i], x1[picked[i].item<int64_t>()]));
        }
        QVERIFY(!flow::ProbabilityPath::make("icfm", 0.0)->pairing(x0, x1, gen).rows1.defined());
    }

    void pairsFollowThePlan() {
        auto plan = torch::zeros({3, 3}, torch::kDouble);
        plan[0][2] = 0.5;
        plan[2][1] = 0.5;
        const auto x0 = torch::tensor({10.0, 20.0, 30.0}).unsqueeze(1),
                   x1 = torch::tensor({1.0, 2.0, 3.0}).unsqueeze(1);
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
