// The Train page drives real training runs (QtTest, offscreen, Fashion-MNIST, a tiny U-Net):
// the loss series grows, Pause holds the job, Stop ends it with a checkpoint, and an opened run
// continues to its new total; with two processes the page follows rank 0 of a data-parallel run.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/checkpoint_info.h"
#include "core/api/run_info.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tiny_train_config.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"
#include "ui/plot_widget.h"
#include "ui/train_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using ds::test::kHangMs;
using ds::ui::TrainPage;

class TestTrainPage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir work_;

    // The tiny test configuration, with previews every 2 steps and a step logged each time.
    static void makeTiny(TrainPage& page, int steps) {
        auto config = ds::test::tinyTrainConfig(steps);
        config.sampleEvery = 2;
        config.saveEvery = 1000;
        config.lr.warmupSteps = 0;
        config.loaderThreads = 1;
        page.setFormConfig(ds::api::trainFormFromConfig(config.toJson()));
    }

    // The tiny configuration on 2 processes of batch 4 (the built CLI as the ranks), into
    // work_/dirName; returns that run directory.
    QString setUpTwoProcessRun(TrainPage& page, int steps, const QString& dirName) {
        page.setWorkerProgram(QStringLiteral(DS_CLI_PATH));
        makeTiny(page, steps);
        page.findChild<QSpinBox*>(QStringLiteral("trainBatch"))->setValue(4);
        page.setProcesses(2);
        const QString runDir = work_.filePath(dirName);
        page.setRunDirectory(runDir);
        return runDir;
    }

    static QPushButton* button(TrainPage& page, const char* name) {
        return page.findChild<QPushButton*>(QString::fromLatin1(name));
    }

    // The points of the page's current loss curve, pending ones included.
    static int points(TrainPage& page) {
        page.lossPlot()->flush();
        return page.lossPlot()->pointCount(page.currentSeries());
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(ds::test::isolateSettings(settingsDir_)); }
    // Every test starts from the defaults: a page saves its fields when it closes.
    void init() { ds::test::clearAppSettings(); }

    void startsOnFashionMnistWithTheTinyPreset() {
        TrainPage page;
        const auto config = page.formConfig();
        QCOMPARE(config.data, std::string("fashion-mnist"));
        QCOMPARE(config.preset, std::string("tiny"));
        QCOMPARE(page.findChild<QSpinBox*>(QStringLiteral("trainImageSize"))->value(), 32);
        // Choosing another preset fills the form from it.
        page.selectPreset(QStringLiteral("lsun64"));
        QCOMPARE(page.findChild<QSpinBox*>(QStringLiteral("trainDim"))->value(), 64);
        QCOMPARE(page.findChild<QLineEdit*>(QStringLiteral("trainDimMults"))->text(), QStringLiteral("1,2,4,8"));
        // A bad field is named, not crashed on.
        page.findChild<QLineEdit*>(QStringLiteral("trainDimMults"))->setText(QStringLiteral("1,x"));
        QVERIFY_THROWS_EXCEPTION(std::exception, page.formConfig());
    }

    void trainingGrowsTheLossSeriesAndFinishes() {
        TrainPage page;
        makeTiny(page, 6);
        const QString runDir = work_.filePath(QStringLiteral("run-a"));
        page.setRunDirectory(runDir);
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        QSignalSpy metrics(page.runner(), &ds::ui::JobRunner::metrics);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->isRunning());
        QVERIFY(!button(page, "trainStart")->isEnabled());
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
        // Metrics arrived in batches, not one signal per step.
        QVERIFY(metrics.size() >= 1 && metrics.size() <= 6);
        page.lossPlot()->flush();
        QCOMPARE(page.lossPlot()->pointCount(page.currentSeries()), 6);
        const auto loss = page.lossPlot()->rawPoints(page.currentSeries());
        QCOMPARE(loss.last().x(), 6.0);
        QVERIFY(loss.last().y() > 0 && std::isfinite(loss.last().y()));
        // Loss by timestep: ten buckets, some filled.
        page.bucketPlot()->flush();
        int filled = 0;
        for (int b = 0; b < 10; ++b) filled += page.bucketPlot()->pointCount(page.bucketSeries(b)) > 0;
        QVERIFY(filled > 0);
        QCOMPARE(page.previewCount(), 3);  // steps 2, 4, 6
        QVERIFY(button(page, "trainStart")->isEnabled());
        const auto info = ds::api::inspectRun(runDir.toStdString());
        QCOMPARE(info.checkpoints.back().first, int64_t(6));
    }

    // Flow-matching runs train here too: the cfm presets fill the same fields (g4vrel/CFM U-Net's
    // ch and ch_mul), the path is chosen, and the run's checkpoints are flow checkpoints.
    void flowMatchingRunsTrainHere() {
        TrainPage page;
        auto* path = page.findChild<QComboBox*>(QStringLiteral("trainFlowPath"));
        QVERIFY(!path->isEnabled());
        page.selectPreset(QStringLiteral("cfm-tiny"));
        QVERIFY(path->isEnabled());
        QCOMPARE(page.findChild<QSpinBox*>(QStringLiteral("trainDim"))->value(), 16);
        QCOMPARE(page.findChild<QLineEdit*>(QStringLiteral("trainDimMults"))->text(), QStringLiteral("1,2,2"));
        path->setCurrentIndex(path->findData(QStringLiteral("otcfm")));
        page.findChild<QLineEdit*>(QStringLiteral("trainDimMults"))->setText(QStringLiteral("1,2"));
        page.findChild<QSpinBox*>(QStringLiteral("trainImageSize"))->setValue(16);
        const auto form = page.formConfig();
        QVERIFY(form.isFlow());
        // What the form says, as the run will be configured: the new level gets no attention.
        auto config = ds::train::TrainConfig::fromJson(form.base);
        QCOMPARE(config.flow.path, std::string("otcfm"));
        const auto* unet = config.flow.network.as<ds::flow::FlowUnetConfig>();
        QVERIFY(unet);
        QCOMPARE(unet->chMul, (std::vector<int>{1, 2}));
        QCOMPARE(unet->attChannels.size(), size_t(2));
        QCOMPARE(config.flow.imageSize, 16);
        config.steps = 4;
        config.batchSize = 8;
        config.sampleEvery = 2;
        config.sampleSteps = 2;
        config.saveEvery = 1000;
        config.loaderThreads = 1;
        page.setFormConfig(ds::api::trainFormFromConfig(config.toJson()));
        const QString runDir = work_.filePath(QStringLiteral("run-flow"));
        page.setRunDirectory(runDir);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        page.lossPlot()->flush();
        QCOMPARE(page.lossPlot()->pointCount(page.currentSeries()), 4);
        QCOMPARE(page.previewCount(), 2);
        const auto info = ds::api::inspectRun(runDir.toStdString());
        QCOMPARE(info.checkpoints.back().first, int64_t(4));
        const auto checkpoint = ds::api::inspectCheckpoint(info.checkpoints.back().second);
        QCOMPARE(checkpoint.family, ds::api::ModelFamily::Flow);
        // Back to a diffusion preset: no path to choose.
        page.selectPreset(QStringLiteral("tiny"));
        QVERIFY(!path->isEnabled());
        QVERIFY(!page.formConfig().isFlow());
    }

    // The Class-conditional box trains a conditional model of either family from the page: the
    // run records Fashion-MNIST's classes, its checkpoint samples them (with guidance), and the
    // previews are one row per class.
    void conditionalRunsTrainHere_data() {
        QTest::addColumn<bool>("flow");
        QTest::newRow("diffusion") << false;
        QTest::newRow("flow") << true;
    }
    void conditionalRunsTrainHere() {
        QFETCH(bool, flow);
        TrainPage page;
        auto config = flow ? ds::test::tinyFlowConfig(2, "icfm") : ds::test::tinyTrainConfig(2);
        config.sampleEvery = 2;
        config.sampleSteps = 2;
        config.sampleCount = 10;
        config.saveEvery = 1000;
        config.loaderThreads = 1;
        page.setFormConfig(ds::api::trainFormFromConfig(config.toJson()));
        auto* conditional = page.findChild<QCheckBox*>(QStringLiteral("trainConditional"));
        auto* dropout = page.findChild<QDoubleSpinBox*>(QStringLiteral("trainCondDropProb"));
        QVERIFY(conditional && dropout);
        QVERIFY(conditional->isEnabled() && !conditional->isChecked() && !dropout->isEnabled());
        conditional->setChecked(true);
        QVERIFY(dropout->isEnabled());
        dropout->setValue(0.3);
        const QString runDir =
            work_.filePath(flow ? QStringLiteral("conditional-flow") : QStringLiteral("conditional"));
        page.setRunDirectory(runDir);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        const auto run = ds::api::inspectRun(runDir.toStdString());
        QVERIFY(!run.checkpoints.empty());
        const auto classes = ds::api::checkpointClasses(run.checkpoints.back().second);
        QCOMPARE(classes.count, 10);
        QCOMPARE(classes.names.at(7), std::string("Sneaker"));
        QCOMPARE(classes.guidance,
                 flow ? ds::api::CheckpointClasses::Guidance::Scale : ds::api::CheckpointClasses::Guidance::Lucidrains);
        const auto recorded = ds::train::TrainConfig::fromJson(run.config);
        QVERIFY(recorded.isConditional());
        QCOMPARE(recorded.conditioning.dropProb, 0.3);
        // One preview row per class: 10 rows of one 16 px image and its 2 px padding.
        QCOMPARE(page.previewCount(), 1);
        const QImage preview(runDir + "/samples/step-2.png");
        QCOMPARE(preview.height(), 10 * 18 + 2);
        QCOMPARE(preview.width(), 18 + 2);
        // Reopening the form from the run keeps the box.
        TrainPage again;
        again.setFormConfig(ds::api::trainFormFromConfig(run.config));
        QVERIFY(again.findChild<QCheckBox*>(QStringLiteral("trainConditional"))->isChecked());
    }

    void pauseHoldsAndStopSavesThenContinue() {
        TrainPage page;
        makeTiny(page, 100000);
        const QString runDir = work_.filePath(QStringLiteral("run-b"));
        page.setRunDirectory(runDir);
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        QSignalSpy progress(page.runner(), &ds::ui::JobRunner::progress);
        button(page, "trainStart")->click();
        QTRY_VERIFY_WITH_TIMEOUT(points(page) >= 2, kHangMs);

        button(page, "trainPause")->click();
        QVERIFY(page.runner()->isPaused());
        QCOMPARE(button(page, "trainPause")->text(), QStringLiteral("Resume"));
        // The job parks at its next step boundary, with every step it made on the chart.
        QTRY_VERIFY_WITH_TIMEOUT(page.runner()->isHolding(), kHangMs);
        const int held = points(page);
        QVERIFY(held >= 2);
        QCOMPARE(progress.last().at(0).value<ds::api::JobProgress>().done, int64_t(held));
        // Nothing moves while it holds, over several deliveries.
        QSignalSpy deliveries(page.runner(), &ds::ui::JobRunner::delivered);
        QTRY_VERIFY_WITH_TIMEOUT(deliveries.size() >= 5, kHangMs);
        QCOMPARE(points(page), held);
        QVERIFY(page.runner()->isHolding());
        button(page, "trainPause")->click();
        QVERIFY(!page.runner()->isPaused());
        QTRY_VERIFY_WITH_TIMEOUT(points(page) > held, kHangMs);

        button(page, "trainStop")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().at(1).toBool(), true);  // cancelled
        const auto stopped = ds::api::inspectRun(runDir.toStdString());
        QVERIFY(!stopped.checkpoints.empty());
        const int64_t stoppedAt = stopped.checkpoints.back().first;

        // Open the run in a fresh page and continue it to a total a few steps further.
        TrainPage second;
        QCOMPARE(second.openRun(runDir), QString());
        QCOMPARE(points(second), int(stoppedAt));
        second.findChild<QSpinBox*>(QStringLiteral("trainSteps"))->setValue(int(stoppedAt) + 3);
        QVERIFY(button(second, "trainContinue")->isEnabled());
        button(second, "trainContinue")->click();
        QVERIFY(second.runner()->waitForFinished(kHangMs));
        QCOMPARE(ds::api::inspectRun(runDir.toStdString()).checkpoints.back().first, stoppedAt + 3);
        QCOMPARE(points(second), int(stoppedAt) + 3);
    }

    void twoProcessRunIsFollowedFromRankZero() {
        TrainPage page;
        const QString runDir = setUpTwoProcessRun(page, 6, QStringLiteral("run-ranks"));
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->isRunning());
        QVERIFY(!button(page, "trainPause")->isEnabled());  // ranks cannot pause
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
        page.lossPlot()->flush();
        QCOMPARE(page.lossPlot()->pointCount(page.currentSeries()), 6);
        QCOMPARE(page.previewCount(), 3);  // steps 2, 4, 6, read back from the run directory
        const auto info = ds::api::inspectRun(runDir.toStdString());
        QCOMPARE(info.config["distributed"]["world_size"].get<int>(), 2);
        QCOMPARE(info.config["distributed"]["global_batch_size"].get<int>(), 8);
        QCOMPARE(info.checkpoints.back().first, int64_t(6));
        // The chart's images/s are the group's, as logged by rank 0.
        QVERIFY(info.metrics.back().imagesPerSecond > 0);
    }

    void stopEndsEveryRankWithACheckpoint() {
        TrainPage page;
        const QString runDir = setUpTwoProcessRun(page, 100000, QStringLiteral("run-ranks-stopped"));
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        button(page, "trainStart")->click();
        QTRY_VERIFY_WITH_TIMEOUT(points(page) >= 3, kHangMs);
        button(page, "trainStop")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY2(finished.first().at(1).toBool(), qPrintable(finished.first().at(2).toString()));  // cancelled
        // The ranks agreed on the step: rank 0 saved it, and the run continues from there.
        const auto info = ds::api::inspectRun(runDir.toStdString());
        QVERIFY(!info.checkpoints.empty());
        QVERIFY(info.checkpoints.back().first >= 3);
        QCOMPARE(info.checkpoints.back().first, info.metrics.back().step);
    }

    void missingWorkerProgramFailsClearly() {
        TrainPage page;
        page.setWorkerProgram(work_.filePath(QStringLiteral("no-such-cli")));
        makeTiny(page, 2);
        page.setProcesses(2);
        page.setRunDirectory(work_.filePath(QStringLiteral("run-no-cli")));
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY(!finished.first().at(0).toBool());
        QVERIFY2(finished.first().at(2).toString().contains(QStringLiteral("no-such-cli: cannot be run")),
                 qPrintable(finished.first().at(2).toString()));
    }

    // A precision the device cannot run is refused before the first step (the same check refuses
    // bf16 where this CPU's oneDNN cannot run it): the page says why in one line.
    void precisionTheDeviceCannotRunFailsWithOneLine() {
        TrainPage page;
        auto config = ds::test::tinyTrainConfig(2);
        config.amp = ds::api::MixedPrecision::Fp16;  // CUDA only
        page.setFormConfig(ds::api::trainFormFromConfig(config.toJson()));
        page.setRunDirectory(work_.filePath(QStringLiteral("run-fp16")));
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        button(page, "trainStart")->click();
        QVERIFY(page.runner()->waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY(!finished.first().at(0).toBool());
        const QString error = finished.first().at(2).toString();
        QVERIFY2(error.startsWith(QStringLiteral("--amp fp16")) && !error.contains(QLatin1Char('\n')),
                 qPrintable(error));
        QCOMPARE(page.findChild<QLabel*>(QStringLiteral("trainStatus"))->text(), QStringLiteral("Failed: ") + error);
        QVERIFY(page.findChild<QPlainTextEdit*>(QStringLiteral("trainLog"))
                    ->toPlainText()
                    .contains(QStringLiteral("error: ") + error));
        QVERIFY(!QDir(work_.filePath(QStringLiteral("run-fp16"))).exists());
    }

    // FID during training from the form: the FID charts appear with a point per measurement and
    // the lowest marked (best.pt), KID's beside them when asked, an opened run shows them again,
    // an overlay adds its curves.
    void fidDuringTrainingIsChartedWithItsBest() {
        QTemporaryDir hub;
        QDir().mkpath(hub.filePath(QStringLiteral("hub/checkpoints")));
        ds::test::writeFormulaInceptionWeights(
            ds::test::fixturePath("fid_formula/keys.tsv"),
            hub.filePath(QStringLiteral("hub/checkpoints/pt_inception-2015-12-05-6726825d.pth")).toStdString());
        qputenv("TORCH_HOME", hub.path().toUtf8());
        qputenv("XDG_CACHE_HOME", hub.filePath(QStringLiteral("cache")).toUtf8());
        const QString runDir = work_.filePath(QStringLiteral("run-fid"));
        {
            TrainPage page;
            makeTiny(page, 4);
            page.findChild<QSpinBox*>(QStringLiteral("trainFidEvery"))->setValue(2);
            page.findChild<QSpinBox*>(QStringLiteral("trainFidSamples"))->setValue(4);
            auto* reference = page.findChild<QComboBox*>(QStringLiteral("trainFidReference"));
            reference->setCurrentIndex(reference->findData(QStringLiteral("path")));
            page.findChild<ds::ui::PathField*>(QStringLiteral("trainFidReferencePath"))
                ->setPath(QString::fromStdString(ds::test::fixturePath("fid_formula/images/A")));
            page.findChild<QCheckBox*>(QStringLiteral("trainFidKid"))->setChecked(true);
            QVERIFY(!page.fidPlot()->isVisibleTo(&page));
            auto* tabs = page.findChild<QTabWidget*>(QStringLiteral("trainQualityTabs"));
            QVERIFY(!tabs->isVisibleTo(&page));
            page.setRunDirectory(runDir);
            button(page, "trainStart")->click();
            QVERIFY(page.runner()->waitForFinished(kHangMs));
            QVERIFY2(page.findChild<QLabel*>(QStringLiteral("trainStatus"))->text() == QStringLiteral("Finished."),
                     qPrintable(page.findChild<QPlainTextEdit*>(QStringLiteral("trainLog"))->toPlainText()));
            QVERIFY(page.fidPlot()->isVisibleTo(&page));
            page.fidPlot()->flush();
            QCOMPARE(page.fidPlot()->pointCount(page.fidSeries()), 2);
            QVERIFY(page.bestFid().has_value());
            const auto points = page.fidPlot()->rawPoints(page.fidSeries());
            QCOMPARE(page.bestFid()->value, std::min(points[0].y(), points[1].y()));
            QVERIFY(QFile::exists(runDir + QStringLiteral("/checkpoints/best.pt")));
            QCOMPARE(tabs->count(), 2);  // FID | KID
            tabs->setCurrentIndex(1);
            QVERIFY(page.kidPlot()->isVisibleTo(&page) && page.kidTimePlot()->isVisibleTo(&page));
            page.kidPlot()->flush();
            QCOMPARE(page.kidPlot()->pointCount(page.kidSeries()), 2);
        }
        TrainPage reopened;
        QCOMPARE(reopened.openRun(runDir), QString());
        reopened.fidPlot()->flush();
        QCOMPARE(reopened.fidPlot()->pointCount(reopened.fidSeries()), 2);
        QCOMPARE(reopened.findChild<QSpinBox*>(QStringLiteral("trainFidEvery"))->value(), 2);
        QVERIFY(reopened.findChild<QCheckBox*>(QStringLiteral("trainFidKid"))->isChecked());
        reopened.kidPlot()->flush();
        QCOMPARE(reopened.kidPlot()->pointCount(reopened.kidSeries()), 2);
        const int before = reopened.fidPlot()->seriesIds().size();
        const int kidBefore = reopened.kidPlot()->seriesIds().size();
        QCOMPARE(reopened.overlayRun(runDir), QString());
        QCOMPARE(reopened.fidPlot()->seriesIds().size(), before + 1);
        QCOMPARE(reopened.kidPlot()->seriesIds().size(), kidBefore + 1);
        qunsetenv("TORCH_HOME");
        qunsetenv("XDG_CACHE_HOME");
    }

    void overlayAddsAnotherRunsCurves() {
        const QString other = work_.filePath(QStringLiteral("run-overlaid"));
        {
            TrainPage trainer;
            makeTiny(trainer, 2);
            trainer.setRunDirectory(other);
            button(trainer, "trainStart")->click();
            QVERIFY(trainer.runner()->waitForFinished(kHangMs));
        }
        TrainPage page;
        const int before = page.lossPlot()->seriesIds().size();
        QCOMPARE(page.overlayRun(other), QString());
        QVERIFY(page.lossPlot()->seriesIds().size() > before);
        QVERIFY(page.overlayRun(work_.filePath(QStringLiteral("missing"))).contains(QStringLiteral("missing")));
    }
};

QTEST_MAIN(TestTrainPage)
#include "test_train_page.moc"
