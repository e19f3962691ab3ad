// The trajectory page (QtTest, offscreen): configurations run side by side from the same start,
// and what each panel shows is what the core computes for that configuration - the 2-D toy's
// particles at the slider's time, a checkpoint's frames - with the figures the issue asks for;
// "NFE vs quality" plots every solver; bad input gets a clear message; the labelled target's class
// and guidance redraw the trained toys' particles.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/flow_toy.h"
#include "core/api/sampling.h"
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/reference_tensors.h"
#include "ui/job_runner.h"
#include "ui/main_window.h"
#include "ui/nfe_quality_chart.h"
#include "ui/point_cloud_view.h"
#include "ui/qimage_conversion.h"
#include "ui/trajectory_film_view.h"
#include "ui/trajectory_page.h"
#include "ui/trajectory_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QtTest>

using ds::ui::TrajectoryPage;

namespace {

constexpr int kTrainSteps = 600;
constexpr int kPoints = 128;
constexpr int kSeed = 3;

// The page's toy for a path (the labelled 8 Gaussians as its target when conditional), trained
// and sampled directly through the core API.
ds::api::FlowToyTrajectory directToyRun(const std::string& path, const ds::api::FlowToySolve& solve,
                                        bool conditional = false) {
    ds::api::FlowToyConfig c;
    if (conditional) {
        c.target = "8gaussians";
        c.conditional = true;
    }
    c.path = path;
    c.trainSteps = kTrainSteps;
    c.seed = kSeed;
    ds::api::FlowToy toy(c);
    ds::api::JobSink quiet;
    ds::StopToken stop;
    toy.train(quiet, stop);
    return toy.sample(solve, kPoints, kSeed);
}

double maxDistance(const QVector<QPointF>& a, const ds::api::PointCloud& b) {
    if (size_t(a.size()) != b.size()) return 1e9;
    double worst = 0;
    for (int i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::hypot(a[i].x() - b.xy[2 * i], a[i].y() - b.xy[2 * i + 1]));
    return worst;
}

// The fraction of `points` nearest the k-th of the 8 Gaussians' centres (radius 5; the core's order).
double fractionNearCentre(const QVector<QPointF>& points, int k) {
    const double s = 5.0 / std::sqrt(2.0);
    const QPointF centres[8] = {{5, 0}, {-5, 0}, {0, 5}, {0, -5}, {s, s}, {-s, s}, {s, -s}, {-s, -s}};
    int near = 0;
    for (const QPointF& p : points) {
        int best = 0;
        for (int c = 1; c < 8; ++c)
            if (QLineF(p, centres[c]).length() < QLineF(p, centres[best]).length()) best = c;
        near += best == k;
    }
    return points.isEmpty() ? 0.0 : double(near) / points.size();
}

bool runToEnd(TrajectoryPage& page, bool sweep = false) {
    const QString error = sweep ? page.runSweep() : page.run();
    if (!error.isEmpty()) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return page.runner()->waitForFinished(ds::test::kHangMs);
}

}  // namespace

class TestTrajectoryPage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QString flowCheckpoint_;

    void useToy(TrajectoryPage& page) {
        page.setImageMode(false);
        page.findChild<QSpinBox*>(QStringLiteral("trajectoryTrainSteps"))->setValue(kTrainSteps);
        page.findChild<QSpinBox*>(QStringLiteral("trajectoryPoints"))->setValue(kPoints);
        page.findChild<QSpinBox*>(QStringLiteral("trajectorySeed"))->setValue(kSeed);
    }

    void useCheckpoint(TrajectoryPage& page, const QString& path) {
        page.openCheckpoint(path);
        page.findChild<QSpinBox*>(QStringLiteral("trajectoryImages"))->setValue(2);
        page.findChild<QSpinBox*>(QStringLiteral("trajectoryImageSize"))
            ->setValue(16);  // g4vrel/CFM's .tar does not record them
        page.findChild<QSpinBox*>(QStringLiteral("trajectoryGroups"))->setValue(8);
        page.findChild<QSpinBox*>(QStringLiteral("trajectorySeed"))->setValue(kSeed);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ds::test::isolateSettings(settingsDir_));
        flowCheckpoint_ = QString::fromStdString(ds::test::fixturePath("cfm_g4vrel_tiny/ckpt.tar"));
    }
    // Every test starts from the defaults: pages save their fields when they close.
    void init() { ds::test::clearAppSettings(); }

    // Two paths with Euler 8: each panel's particles at t = 0, 0.5 and 1 are the core's own
    // trajectory of that configuration, both start from the same points, share one box, and the
    // figures show OT-CFM straighter than I-CFM.
    void toyPanelsShowTheCoreTrajectories() {
        TrajectoryPage page;
        page.resize(1200, 800);
        useToy(page);
        page.setConfigurationCount(2);
        page.panel(0)->setConfiguration(QStringLiteral("otcfm"), QStringLiteral("euler"), 8);
        page.panel(1)->setConfiguration(QStringLiteral("icfm"), QStringLiteral("euler"), 8);
        QSignalSpy logs(page.runner(), &ds::ui::JobRunner::log);
        auto* play = page.findChild<QPushButton*>(QStringLiteral("trajectoryPlay"));
        QVERIFY(!play->isEnabled());  // nothing to play yet
        QVERIFY(runToEnd(page));
        QVERIFY(page.panel(0)->hasResult() && page.panel(1)->hasResult());
        QCOMPARE(page.message(), QStringLiteral("Done."));
        QVERIFY(play->isEnabled());

        const auto solve = page.panel(0)->solve();
        const auto ot = directToyRun("otcfm", solve), independent = directToyRun("icfm", solve);
        QCOMPARE(ot.times.size(), size_t(9));
        auto* otView = page.panel(0)->cloudView();
        auto* icView = page.panel(1)->cloudView();
        for (const auto& [t, k] : {std::pair{0.0, 0}, {0.5, 4}, {1.0, 8}}) {
            page.setTime(t);
            QCOMPARE(otView->time(), t);
            QVERIFY2(maxDistance(otView->positionsAt(t), ot.clouds[k]) < 1e-4, qPrintable(QString::number(t)));
            QVERIFY2(maxDistance(icView->positionsAt(t), independent.clouds[k]) < 1e-4, qPrintable(QString::number(t)));
        }
        // Between recorded times a particle sits on the segment the solver took.
        const auto mid = otView->positionsAt(0.0625);
        QCOMPARE(mid[0], (otView->positionsAt(0.0)[0] + otView->positionsAt(0.125)[0]) / 2);
        QCOMPARE(otView->positionsAt(0.0), icView->positionsAt(0.0));  // the same start for every configuration

        const QString otStats = page.panel(0)->statsText(), icStats = page.panel(1)->statsText();
        QVERIFY2(otStats.contains(QStringLiteral("NFE 8")), qPrintable(otStats));
        QVERIFY(otStats.contains(QStringLiteral("straightness %1").arg(ot.straightness, 0, 'f', 3)));
        QVERIFY(icStats.contains(QStringLiteral("straightness %1").arg(independent.straightness, 0, 'f', 3)));
        QVERIFY(otStats.contains(QStringLiteral("energy distance %1").arg(ot.energyDistance, 0, 'f', 4)));
        QVERIFY2(ot.straightness < independent.straightness, qPrintable(otStats + " / " + icStats));
        QVERIFY(otView->dataBounds().isValid());

        // A second run with the same toys trains nothing again.
        const auto trainings = [&] {
            int n = 0;
            for (const auto& call : logs) n += call.at(0).toString().startsWith(QStringLiteral("training the 2-D toy"));
            return n;
        };
        QCOMPARE(trainings(), 2);
        page.panel(1)->setConfiguration(QStringLiteral("icfm"), QStringLiteral("dopri5"), 8, 1e-4);
        QVERIFY(runToEnd(page));
        QCOMPARE(trainings(), 2);
        const QString dopri = page.panel(1)->statsText();
        QVERIFY2(!dopri.contains(QStringLiteral("NFE 8 ")) && dopri.contains(QStringLiteral("NFE ")),
                 qPrintable(dopri));
    }

    // The labelled 8 Gaussians: the class and guidance fields appear; after a run, picking class 5
    // and W = 4 redraws the trained toy's particles by itself (no training again) into exactly
    // the core's guided trajectory for that class and scale, most of them at the 5th Gaussian;
    // the choice is kept for the next visit.
    void labelledTargetRedrawsWithClassAndGuidance() {
        const QString key = QStringLiteral("8gaussians-classes");
        {
            TrajectoryPage page;
            page.resize(1200, 800);
            useToy(page);
            auto* target = page.findChild<QComboBox*>(QStringLiteral("trajectoryTarget"));
            auto* classes = page.findChild<QComboBox*>(QStringLiteral("trajectoryClass"));
            auto* guidance = page.findChild<QDoubleSpinBox*>(QStringLiteral("trajectoryGuidance"));
            QVERIFY(target && classes && guidance);
            QVERIFY(!classes->isVisibleTo(&page) && !guidance->isVisibleTo(&page));  // moons: no classes
            target->setCurrentIndex(target->findData(key));
            QVERIFY(page.conditionalTarget());
            QVERIFY(classes->isVisibleTo(&page) && guidance->isVisibleTo(&page));
            QCOMPARE(classes->count(), 10);  // all, 0 .. 7, none
            QCOMPARE(classes->currentData().toInt(), ds::api::kToyEveryClass);
            page.setConfigurationCount(1);
            page.panel(0)->setConfiguration(QStringLiteral("otcfm"), QStringLiteral("euler"), 8);
            QSignalSpy logs(page.runner(), &ds::ui::JobRunner::log);
            QVERIFY(runToEnd(page));
            QVERIFY(page.panel(0)->hasResult());
            auto* view = page.panel(0)->cloudView();
            const auto everyClass = view->positionsAt(1.0), start = view->positionsAt(0.0);
            QVERIFY2(page.panel(0)->statsText().contains(QStringLiteral("all classes · guidance 1.0")),
                     qPrintable(page.panel(0)->statsText()));
            QCOMPARE(view->particleColor(5), view->particleColor(13));  // coloured by class i mod 8
            QVERIFY(view->particleColor(5) != view->particleColor(6));

            // Both changes: the first starts a redraw, the second waits for it and redraws again.
            classes->setCurrentIndex(classes->findData(5));
            guidance->setValue(4.0);
            QTRY_VERIFY_WITH_TIMEOUT(!page.runner()->isRunning() &&
                                         page.panel(0)->statsText().contains(QStringLiteral("class 5 · guidance 4.0")),
                                     ds::test::kHangMs);
            int trainings = 0;
            for (const auto& call : logs) trainings += call.at(0).toString().startsWith(QStringLiteral("training"));
            QCOMPARE(trainings, 1);

            auto solve = page.panel(0)->solve();
            solve.classLabel = 5;
            solve.guidanceScale = 4.0;
            const auto direct = directToyRun("otcfm", solve, true);
            const auto guided = view->positionsAt(1.0);
            QVERIFY(maxDistance(guided, direct.clouds.back()) < 1e-4);
            QCOMPARE(view->positionsAt(0.0), start);  // the same start, another end
            const double before = fractionNearCentre(everyClass, 5), after = fractionNearCentre(guided, 5);
            qInfo("near the 5th Gaussian: %.3f of every class's particles, %.3f with class 5 and W = 4", before, after);
            QVERIFY2(after > 0.8 && before < 0.3, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
            QCOMPARE(view->particleColor(0), view->particleColor(1));  // one class, one colour
        }
        TrajectoryPage again;  // the settings the first page saved
        QCOMPARE(again.findChild<QComboBox*>(QStringLiteral("trajectoryTarget"))->currentData().toString(), key);
        QCOMPARE(again.findChild<QComboBox*>(QStringLiteral("trajectoryClass"))->currentData().toInt(), 5);
        QCOMPARE(again.findChild<QDoubleSpinBox*>(QStringLiteral("trajectoryGuidance"))->value(), 4.0);
    }

    void slidersAndPlay() {
        TrajectoryPage page;
        auto* slider = page.findChild<QSlider*>(QStringLiteral("trajectoryTime"));
        slider->setValue(250);
        QCOMPARE(page.time(), 0.25);
        QCOMPARE(page.findChild<QLabel*>(QStringLiteral("trajectoryTimeLabel"))->text(), QStringLiteral("t = 0.250"));
        page.togglePlay();
        QTRY_COMPARE_WITH_TIMEOUT(slider->value(), slider->maximum(), ds::test::kHangMs);  // plays to t = 1, stops
        page.togglePlay();  // from the end: starts again at 0
        QVERIFY(slider->value() < slider->maximum());
        page.togglePlay();
        // Only up to four configurations; the others are hidden.
        page.setConfigurationCount(9);
        QCOMPARE(page.configurationCount(), 4);
        page.setConfigurationCount(1);
        QVERIFY(page.panel(1)->isHidden());
    }

    // Images: every configuration starts from the same noise; each filmstrip holds the solver's
    // recorded states and its last frame is the grid runSampling makes for that configuration.
    void imageFilmstripsFollowTheSolvers() {
        TrajectoryPage page;
        page.resize(1200, 800);
        useCheckpoint(page, flowCheckpoint_);
        page.setConfigurationCount(2);
        page.panel(0)->setConfiguration(QString(), QStringLiteral("euler"), 4);
        page.panel(1)->setConfiguration(QString(), QStringLiteral("rk4"), 2);
        QVERIFY(runToEnd(page));
        auto* euler = page.panel(0)->filmView();
        auto* rk4 = page.panel(1)->filmView();
        QCOMPARE(euler->frameCount(), 5);
        QCOMPARE(rk4->frameCount(), 3);
        QVERIFY(page.panel(1)->statsText().contains(QStringLiteral("NFE 8")));

        page.setTime(0.0);
        QCOMPARE(euler->shownFrame(), 0);
        QCOMPARE(euler->shownImage(), rk4->shownImage());  // the same noise
        page.setTime(0.5);
        QCOMPARE(euler->shownFrame(), 2);
        QCOMPARE(rk4->shownFrame(), 1);
        page.setTime(0.74);
        QCOMPARE(euler->shownFrame(), 2);  // the last state at or before t

        ds::api::SampleRequest r;
        r.checkpoint = flowCheckpoint_.toStdString();
        r.seed = kSeed;
        r.num = r.batchSize = 2;
        r.imageSize = 16;
        r.groups = 8;
        r.solver = "euler";
        r.steps = 4;
        ds::api::JobSink quiet;
        ds::StopToken stop;
        const auto direct = ds::api::runSampling(r, quiet, stop);
        page.setTime(1.0);
        QCOMPARE(euler->shownImage().convertToFormat(QImage::Format_RGB888),
                 ds::ui::toQImage(direct.grid).convertToFormat(QImage::Format_RGB888));
        QVERIFY(
            page.panel(0)->statsText().contains(QStringLiteral("straightness %1").arg(direct.straightness, 0, 'f', 3)));
    }

    // NFE vs quality on the toy: a line per solver, Euler at its step counts, errors falling.
    void sweepPlotsEverySolver() {
        TrajectoryPage page;
        useToy(page);
        QVERIFY(runToEnd(page, true));
        auto* chart = page.sweepChart();
        QCOMPARE(chart->solverNames(), (QStringList{QStringLiteral("euler"), QStringLiteral("midpoint"),
                                                    QStringLiteral("rk4"), QStringLiteral("dopri5")}));
        const auto euler = chart->pointsOf(QStringLiteral("euler"));
        QCOMPARE(euler.size(), 6);
        QCOMPARE(euler.first().x(), 2.0);
        QCOMPARE(euler.last().x(), 64.0);
        QVERIFY(euler.last().y() < euler.first().y() / 10);
        const auto rk4 = chart->pointsOf(QStringLiteral("rk4"));
        QCOMPARE(rk4.first().x(), 8.0);  // 2 steps x 4 stages
        QVERIFY(!page.findChild<QLabel*>(QStringLiteral("trajectorySweepSummary"))->text().isEmpty());
    }

    void badInputIsReported() {
        TrajectoryPage page;
        page.setImageMode(true);
        useCheckpoint(page, QString());
        QVERIFY(!page.run().isEmpty());  // no checkpoint chosen
        QVERIFY(!page.runSweep().isEmpty());
        QVERIFY(!page.runner()->isRunning());

        const QString missing = settingsDir_.filePath(QStringLiteral("missing.tar"));
        useCheckpoint(page, missing);
        page.setConfigurationCount(1);
        QVERIFY(runToEnd(page));
        QVERIFY(!page.panel(0)->hasResult());
        QVERIFY2(page.message().contains(missing), qPrintable(page.message()));

        // A diffusion checkpoint has no velocity field to sweep.
        const QString diffusion = QString::fromStdString(ds::test::fixturePath("ddpm_lucidrains_tiny/model-1.pt"));
        useCheckpoint(page, diffusion);
        QVERIFY(page.runSweep().isEmpty());
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY2(page.message().contains(QStringLiteral("flow-matching")), qPrintable(page.message()));
    }

    // Opening a flow-matching checkpoint in the main window lands on this page, in image mode.
    void mainWindowOpensFlowCheckpointsHere() {
        ds::ui::MainWindow window;
        QCOMPARE(window.openPath(flowCheckpoint_), QString());
        auto* page = window.trajectoryPage();
        QVERIFY(page->imageMode());
        QCOMPARE(window.findChild<QStackedWidget*>(QStringLiteral("pages"))->currentWidget(), page);
    }
};

QTEST_MAIN(TestTrajectoryPage)
#include "test_trajectory_page.moc"
