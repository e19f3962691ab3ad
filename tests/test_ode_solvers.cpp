// SPDX-License-Identifier: GPL-3.0-or-later
// The ODE solvers on equations with known solutions: each fixed-grid method converges at its
// order, dopri5 meets its tolerances and interpolates to requested times, the bookkeeping
// (NFE, recorded times, linear interpolation between grid points, cancellation) is right.
//
// Tolerances: the equation is solved in float64, so hand-computed steps and interpolations agree
// to a few float64 epsilons of the state's magnitude; dopri5's global error is at most the sum of
// the local errors it controls (atol + rtol |y| per accepted step: this flow contracts, so none
// grows), plus one more for the dense output at requested times. Negative controls: the other
// RK4 tableau, the next grid point, a looser dopri5 run, a method of the next order.
#include "core/flow/dopri5_ode_solver.h"
#include "core/flow/fixed_grid_ode_solver.h"
#include "core/util/error.h"
#include "tests/support/error_text.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/tolerance.h"

#include <QtTest>

#include <cmath>

using namespace ds;

namespace {

// y' = -2 t y: y(t) = y0 exp(-t^2), in double precision so that orders show cleanly.
const flow::VelocityField kGaussianDecay = [](double t, const torch::Tensor& y) { return -2.0 * t * y; };

torch::Tensor initialState() { return torch::tensor({1.0, -0.5, 2.0, 0.25}, torch::kDouble); }

double errorAt(const torch::Tensor& y, double t) {
    return (y - initialState() * std::exp(-t * t)).abs().max().item<double>();
}

double finalError(flow::OdeMethod method, int steps) {
    flow::OdeOptions o;
    o.method = method;
    o.steps = steps;
    const auto traj = flow::OdeSolver::make(o)->solve(kGaussianDecay, initialState(), {0.0, 1.0});
    return errorAt(traj.states.back(), 1.0);
}

// What dopri5 guarantees at a requested time: each accepted step's local error is within
// atol + rtol |y| (|y| <= max |y0| on this decaying flow, which carries every local error
// forward without growing it), one more such error for the interpolation between steps.
double dopri5Bound(const flow::OdeTrajectory& traj, double tolerance) {
    const double maxY = initialState().abs().max().item<double>();
    return double(traj.acceptedSteps + 1) * (tolerance + tolerance * maxY);
}

// A few float64 operations on values of magnitude m: 8 epsilons of m.
double float64Arithmetic(double m) { return 8 * test::kFloat64Epsilon * m; }

}  // namespace

class TestOdeSolvers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void convergenceOrder_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("order");
        QTest::addColumn<int>("evaluationsPerStep");
        QTest::newRow("euler") << "euler" << 1.0 << 1;
        QTest::newRow("midpoint") << "midpoint" << 2.0 << 2;
        QTest::newRow("rk4") << "rk4" << 4.0 << 4;
        QTest::newRow("rk4-38") << "rk4-38" << 4.0 << 4;
    }
    void convergenceOrder() {
        QFETCH(QString, method);
        QFETCH(double, order);
        QFETCH(int, evaluationsPerStep);
        const auto m = flow::parseOdeMethod(method.toStdString());
        const double coarse = finalError(m, 64), fine = finalError(m, 128);
        const double observed = std::log2(coarse / fine);
        // The error is C h^p (1 + a h): log2 of the ratio is off p by about a h / 2, which halves
        // with each doubling of the steps (0.27 from 16 to 32, 0.07 from 64 to 128 for rk4-38,
        // the largest of the four); the rounding (1e-16 of errors >= 1e-10) does not show. 0.15.
        const std::string name = "ode/order_" + method.toStdString();
        DS_CHECK_TOLERANCE(name, std::abs(observed - order), 0.15);
        // Negative control: the test tells order p from order p + 1.
        DS_CHECK_NEGATIVE_CONTROL(name + " against order + 1", std::abs(observed - (order + 1)), 0.15, 5.0);
        flow::OdeOptions o;
        o.method = m;
        o.steps = 10;
        const auto traj = flow::OdeSolver::make(o)->solve(kGaussianDecay, initialState(), {0.0, 1.0}, true);
        QCOMPARE(traj.nfe, int64_t(10 * evaluationsPerStep));
        QCOMPARE(traj.acceptedSteps, int64_t(10));
        QCOMPARE(int(traj.times.size()), 11);
        QCOMPARE(traj.times[5], 0.5);
    }

    void classicAndThreeEighthsRk4Differ() {
        // Both are 4th order, but they are different methods: the names must not be swapped.
        const auto y0 = initialState();
        flow::FixedGridOdeSolver classic(flow::OdeMethod::Rk4, 1), alt(flow::OdeMethod::Rk4_38, 1);
        const auto a = classic.step(kGaussianDecay, 0.0, 0.5, y0), b = alt.step(kGaussianDecay, 0.0, 0.5, y0);
        // The classic tableau by hand: k1 = 0, k2 = k3-chain at t = 0.25, k4 at 0.5.
        const double h = 0.5;
        auto f = [](double t, double y) { return -2 * t * y; };
        const double k1 = f(0, 1), k2 = f(h / 2, 1 + h / 2 * k1), k3 = f(h / 2, 1 + h / 2 * k2), k4 = f(h, 1 + h * k3);
        const double byHand = h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
        // Four stages of float64 arithmetic on values <= |y0| = 1, in another order.
        DS_CHECK_TOLERANCE("ode/rk4_step_by_hand", std::abs(a[0].item<double>() - byHand), float64Arithmetic(1.0));
        DS_CHECK_NEGATIVE_CONTROL("ode/rk4_38_step_against_classic_by_hand", std::abs(b[0].item<double>() - byHand),
                                  float64Arithmetic(1.0), 10.0);
    }

    void requestedTimesInterpolateLinearlyBetweenGridPoints() {
        flow::OdeOptions o;
        o.method = flow::OdeMethod::Euler;
        o.steps = 4;
        const auto solver = flow::OdeSolver::make(o);
        const auto grid = solver->solve(kGaussianDecay, initialState(), {0.0, 1.0}, true);
        const auto at = solver->solve(kGaussianDecay, initialState(), {0.0, 0.3, 0.5, 1.0});
        QCOMPARE(at.times, (std::vector<double>{0.0, 0.3, 0.5, 1.0}));
        const auto expected = grid.states[1] + (0.3 - 0.25) / 0.25 * (grid.states[2] - grid.states[1]);
        // One float64 interpolation of states <= 2, in another order; grid points are copied.
        const double tol = float64Arithmetic(grid.states[1].abs().max().item<double>());
        DS_CHECK_TOLERANCE("ode/interpolated_at_0.3", (at.states[1] - expected).abs().max().item<double>(), tol);
        DS_CHECK_NEGATIVE_CONTROL("ode/interpolated_at_0.3 against the grid point at 0.25",
                                  (at.states[1] - grid.states[1]).abs().max().item<double>(), tol, 10.0);
        DS_CHECK_TOLERANCE("ode/grid_point_0.5", (at.states[2] - grid.states[2]).abs().max().item<double>(), 0.0);
        DS_CHECK_TOLERANCE("ode/grid_point_1", (at.states[3] - grid.states[4]).abs().max().item<double>(), 0.0);
        QCOMPARE(at.nfe, int64_t(4));
    }

    void dopri5MeetsItsTolerance_data() {
        QTest::addColumn<double>("tolerance");
        QTest::newRow("1e-3") << 1e-3;
        QTest::newRow("1e-6") << 1e-6;
        QTest::newRow("1e-9") << 1e-9;
    }
    void dopri5MeetsItsTolerance() {
        QFETCH(double, tolerance);
        flow::Dopri5OdeSolver solver(tolerance, tolerance);
        const std::vector<double> times{0.0, 0.3, 0.7, 1.0};
        const auto traj = solver.solve(kGaussianDecay, initialState(), times);
        QCOMPARE(traj.times, times);
        double worst = 0;
        for (size_t i = 0; i < times.size(); ++i) worst = std::max(worst, errorAt(traj.states[i], times[i]));
        DS_CHECK_TOLERANCE("ode/dopri5_" + std::string(QTest::currentDataTag()), worst, dopri5Bound(traj, tolerance));
        QCOMPARE(traj.nfe, 2 + 6 * (traj.acceptedSteps + traj.rejectedSteps));
    }

    void dopri5SpendsMoreEvaluationsForTighterTolerances() {
        const auto loose = flow::Dopri5OdeSolver(1e-3, 1e-3).solve(kGaussianDecay, initialState(), {0.0, 1.0});
        const auto tight = flow::Dopri5OdeSolver(1e-9, 1e-9).solve(kGaussianDecay, initialState(), {0.0, 1.0});
        QVERIFY2(tight.nfe > 2 * loose.nfe, qPrintable(QString("%1 vs %2").arg(tight.nfe).arg(loose.nfe)));
        // Negative control: the loose run misses what the tight one is held to.
        DS_CHECK_NEGATIVE_CONTROL("ode/dopri5_1e-3 against the bound of 1e-9", errorAt(loose.states.back(), 1.0),
                                  dopri5Bound(tight, 1e-9), 10.0);
    }

    void dopri5RecordsItsOwnSteps() {
        flow::Dopri5OdeSolver solver(1e-6, 1e-6);
        const auto traj = solver.solve(kGaussianDecay, initialState(), {0.0, 1.0}, true);
        QCOMPARE(int64_t(traj.times.size()), traj.acceptedSteps + 1);
        for (size_t i = 1; i < traj.times.size(); ++i) QVERIFY(traj.times[i] > traj.times[i - 1]);
        QCOMPARE(traj.times.back(), 1.0);
        DS_CHECK_TOLERANCE("ode/dopri5_recorded_1e-6", errorAt(traj.states.back(), 1.0), dopri5Bound(traj, 1e-6));
    }

    // A field that turns NaN or infinite must end the run at once with an error naming the time.
    // (Before, a NaN error estimate read as "grow the step" - std::max(NaN, 0.2) is NaN and
    // std::min(10.0, NaN) is 10 - and the loop ran to its million attempts.)
    void dopri5StopsAtANonFiniteField_data() {
        QTest::addColumn<double>("from");
        QTest::addColumn<double>("value");
        QTest::addColumn<bool>("floatState");
        QTest::newRow("NaN after t = 0.3") << 0.3 << double(NAN) << false;
        QTest::newRow("infinity after t = 0.3") << 0.3 << double(INFINITY) << false;
        QTest::newRow("NaN after t = 0.3, float32 state") << 0.3 << double(NAN) << true;
        QTest::newRow("NaN from the start") << -1.0 << double(NAN) << false;
    }
    void dopri5StopsAtANonFiniteField() {
        QFETCH(double, from);
        QFETCH(double, value);
        QFETCH(bool, floatState);
        int evaluations = 0;
        double firstBad = -1.0;
        const flow::VelocityField v = [&](double t, const torch::Tensor& y) {
            ++evaluations;
            if (t <= from) return kGaussianDecay(t, y);
            if (firstBad < 0) firstBad = t;
            return torch::full_like(y, value);
        };
        const auto y0 = floatState ? initialState().to(torch::kFloat) : initialState();
        const std::string message = test::errorText([&] {
            flow::Dopri5OdeSolver(1e-6, 1e-6).solve(v, y0, {0.0, 1.0});
        });
        qInfo("%s after %d evaluations", message.c_str(), evaluations);
        QVERIFY2(
            message.rfind("dopri5: the velocity field returned non-finite values (NaN or infinity) at t = ", 0) == 0,
            message.c_str());
        QVERIFY(firstBad >= 0);
        // It names a time the field failed at (printed to 9 significant digits: within 5e-9 of
        // it, relatively), and stops within the step that met it (the runaway loop it replaces
        // made a million attempts).
        const double named = std::stod(message.substr(message.rfind("t = ") + 4));
        DS_CHECK_TOLERANCE("ode/dopri5_named_time", std::abs(named - firstBad), 5e-9 * std::abs(firstBad));
        QVERIFY2(named > from, message.c_str());
        QVERIFY2(evaluations < 200, qPrintable(QString::number(evaluations)));
    }

    void everyRecordedPointIsReported() {
        std::vector<int> indices;
        flow::OdeOptions o;
        o.method = flow::OdeMethod::Midpoint;
        o.steps = 5;
        const auto traj =
            flow::OdeSolver::make(o)->solve(kGaussianDecay, initialState(), {0.0, 1.0}, true,
                                            [&](int i, double, const torch::Tensor&) { indices.push_back(i); });
        QCOMPARE(indices, (std::vector<int>{0, 1, 2, 3, 4, 5}));
        QCOMPARE(int(traj.states.size()), 6);
    }

    void stopsBetweenSteps() {
        StopToken stop;
        int evaluations = 0;
        const flow::VelocityField v = [&](double t, const torch::Tensor& y) {
            if (++evaluations == 3) stop.requestStop();
            return kGaussianDecay(t, y);
        };
        flow::OdeOptions o;
        o.method = flow::OdeMethod::Euler;
        o.steps = 100;
        QVERIFY_EXCEPTION_THROWN(flow::OdeSolver::make(o)->solve(v, initialState(), {0.0, 1.0}, true, {}, &stop),
                                 Cancelled);
        QCOMPARE(evaluations, 3);
    }

    void badInputIsRejected() {
        QVERIFY_EXCEPTION_THROWN(flow::parseOdeMethod("rk45"), Error);
        flow::OdeOptions o;
        QVERIFY_EXCEPTION_THROWN(flow::OdeSolver::make(o)->solve(kGaussianDecay, initialState(), {0.0}), Error);
        QVERIFY_EXCEPTION_THROWN(flow::OdeSolver::make(o)->solve(kGaussianDecay, initialState(), {0.0, 0.5, 0.5}),
                                 Error);
        QVERIFY_EXCEPTION_THROWN(flow::Dopri5OdeSolver(0.0, 1e-3), Error);
    }
};

QTEST_APPLESS_MAIN(TestOdeSolvers)
#include "test_ode_solvers.moc"
