// The Sampler Explorer against the reference run of lucidrains' own code (QtTest, offscreen): the
// filmstrip holds steps + 1 frames, and the frame the slider shows is the reference tensor.
//
// Tolerances: a frame is its tensor rounded to 8-bit levels, so two tensors within e of each
// other give levels at most floor(255 e) + 1 apart (pixelTolerance). e is the DDIM run's
// tolerance (tests/support/diffusion_tolerance.h: the U-Net's budget times each step's
// amplification, through the gains measured on the model), or test_fast_samplers' for the
// DPM-Solver++ frames. Negative control: the neighbouring frame misses by more than
// kNegativeControlFactor times the tolerance.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/io/image_tensor.h"
#include "core/io/py_value.h"
#include "core/io/torch_file.h"
#include "tests/support/diffusion_tolerance.h"
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"
#include "ui/explorer_run_panel.h"
#include "ui/job_runner.h"
#include "ui/nfe_quality_chart.h"
#include "ui/qimage_conversion.h"
#include "ui/sampler_explorer_page.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using ds::ui::SamplerExplorerPage;

namespace {

// Largest per-byte difference of two images of the same size (else 256).
int maxPixelDiff(const QImage& a, const QImage& b) {
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    if (x.size() != y.size()) return 256;
    int worst = 0;
    for (int r = 0; r < x.height(); ++r)
        for (int c = 0; c < x.width() * 3; ++c)
            worst = std::max(worst, std::abs(int(x.constScanLine(r)[c]) - int(y.constScanLine(r)[c])));
    return worst;
}

QImage gridOf(const torch::Tensor& batch01) { return ds::ui::toQImage(ds::io::toImage(ds::io::makeGrid(batch01))); }

// 8-bit levels (x * 255 + 0.5, truncated) of two values within e of each other: at most
// floor(255 e) + 1 apart, with the float32 rounding of x * 255 in e.
int pixelTolerance(double e) { return int(std::floor(255 * (e + 2 * ds::test::kFloat32Epsilon))) + 1; }

// A wrong frame must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

}  // namespace

class TestExplorerPage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir work_;
    std::map<std::string, torch::Tensor> ref_;
    QString checkpoint_;
    QString noise_;
    static constexpr int kSteps = 10;

    // The DDIM run's tolerances (online weights, eta 0) along the reference's states and x0.
    ds::test::DdimTolerances ddimTolerances(const torch::Tensor& states, const torch::Tensor& x0) const {
        ds::checkpoint::ModelBuildOptions o;
        o.weights = ds::api::Weights::Online;
        o.imageSize = 16;
        auto m =
            ds::checkpoint::buildDiffusionModel(ds::checkpoint::readDiffusionCheckpoint(checkpoint_.toStdString()), o);
        c10::InferenceMode guard;
        return ds::test::ddimTolerances(*m, m->ddimTimePairs(kSteps), states, x0);
    }

    void runToEnd(SamplerExplorerPage& page) {
        page.run();
        for (auto* panel : {page.panelA(), page.panelB()})
            if (panel->runner()->isRunning()) QVERIFY(panel->runner()->waitForFinished(ds::test::kHangMs));
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ds::test::isolateSettings(settingsDir_));
        ref_ = ds::test::loadReferenceTensors(ds::test::fixturePath("ddpm_lucidrains_tiny/reference.pt"));
        checkpoint_ = QString::fromStdString(ds::test::fixturePath("ddpm_lucidrains_tiny/model-1.pt"));
        // The reference run's initial noise, as a file the explorer can start from.
        noise_ = work_.filePath(QStringLiteral("x_T.pt"));
        ds::io::saveTorchFile(noise_.toStdString(), ds::io::PyValue::tensor(ref_.at("ddim_x_T")));
    }
    // Every test starts from the defaults: pages save their fields when they close.
    void init() { ds::test::clearAppSettings(); }

    void filmstripMatchesTheReferenceTrajectory() {
        SamplerExplorerPage page;
        page.resize(900, 700);
        auto* a = page.panelA();
        a->setCheckpoint(checkpoint_);
        a->setImageSize(16);  // lucidrains checkpoints do not record it
        a->setSampler(ds::api::DiffusionSampler::Ddim);
        a->setSteps(kSteps);
        a->setEta(0.0);
        a->setWeights(QStringLiteral("online"));  // the reference used the online weights
        a->setInitialNoise(noise_);
        // Nothing to stop, play or export before a run; Stop only while it samples.
        const auto button = [&](const char* name) { return page.findChild<QPushButton*>(QString::fromLatin1(name)); };
        const auto exportsEnabled = [&] {
            return button("explorerExportFrame")->isEnabled() && button("explorerExportStrip")->isEnabled() &&
                   button("explorerExportAll")->isEnabled();
        };
        QVERIFY(!button("explorerStop")->isEnabled() && !button("explorerPlay")->isEnabled());
        QVERIFY(!button("explorerExportFrame")->isEnabled() && !button("explorerExportAll")->isEnabled());
        page.run();
        QVERIFY(button("explorerStop")->isEnabled());
        QVERIFY(a->runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY(!button("explorerStop")->isEnabled());
        QVERIFY(button("explorerPlay")->isEnabled() && exportsEnabled());
        QCOMPARE(a->frames().size(), kSteps + 1);
        QCOMPARE(page.frameCount(), kSteps + 1);

        const auto allX = ref_.at("ddim_all_x");        // (B, steps + 1, C, H, W), (x + 1) / 2
        const auto x0Preds = ref_.at("ddim_x0_preds");  // (steps, B, C, H, W)
        const auto tol = ddimTolerances(allX.transpose(0, 1), x0Preds);
        auto* slider = page.findChild<QSlider*>(QStringLiteral("explorerSlider"));
        QCOMPARE(slider->maximum(), kSteps);
        for (int k : {0, 1, 4, kSteps}) {
            slider->setValue(k);
            QCOMPARE(a->shownFrame(), k);
            const std::string frame = "explorer/frame" + std::to_string(k);
            const QImage expectedXt = gridOf(allX.select(1, k).clamp(0, 1));
            DS_CHECK_TOLERANCE(frame + "/xt_levels", maxPixelDiff(a->shownXt(), expectedXt),
                               pixelTolerance(tol.states[size_t(k)]));
            if (k == 0) {
                QVERIFY(a->shownX0().isNull());
            } else {
                const QImage expectedX0 = gridOf(x0Preds[k - 1]);
                DS_CHECK_TOLERANCE(frame + "/x0_levels", maxPixelDiff(a->shownX0(), expectedX0),
                                   pixelTolerance(tol.x0[size_t(k) - 1]));
            }
        }
        // Scrubbing shows another frame: frame 3 is not frame 4.
        slider->setValue(3);
        const QImage three = a->shownXt();
        slider->setValue(4);
        DS_CHECK_NEGATIVE_CONTROL("explorer/frame3 as frame4 (levels)", maxPixelDiff(three, a->shownXt()),
                                  pixelTolerance(tol.states[4]), kNegativeControlFactor);
        QVERIFY(a->caption().contains(QStringLiteral("step 4 / 10")));

        // Keys and the wheel move the same slider.
        QTest::keyClick(&page, Qt::Key_Left);
        QCOMPARE(page.currentFrame(), 3);
        QTest::keyClick(&page, Qt::Key_End);
        QCOMPARE(page.currentFrame(), kSteps);
        QWheelEvent wheel(QPointF(10, 10), page.mapToGlobal(QPointF(10, 10)), QPoint(), QPoint(0, 120), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(&page, &wheel);
        QCOMPARE(page.currentFrame(), kSteps - 1);

        // Exports: one frame, the strip, and every frame as numbered PNGs.
        QCOMPARE(page.exportFrame(work_.filePath(QStringLiteral("frame.png"))), QString());
        QCOMPARE(page.exportStrip(work_.filePath(QStringLiteral("strip.png"))), QString());
        const QString all = work_.filePath(QStringLiteral("frames"));
        QCOMPARE(page.exportAllFrames(all), QString());
        QCOMPARE(QDir(all).entryList({QStringLiteral("*-xt.png")}).size(), kSteps + 1);
        QCOMPARE(QDir(all).entryList({QStringLiteral("*-x0.png")}).size(), kSteps);
        const QImage strip(work_.filePath(QStringLiteral("strip.png")));
        QCOMPARE(strip.width(), (kSteps + 1) * (expectedWidth(a) + 4) - 4);
        DS_CHECK_TOLERANCE(
            "explorer/exported_frame_levels",
            maxPixelDiff(QImage(QDir(all).filePath(QStringLiteral("0010-xt.png"))), a->frames().at(kSteps).xt), 0);
    }

    void compareRunsShareTheSlider() {
        SamplerExplorerPage page;
        page.setCompare(true);
        for (auto* panel : {page.panelA(), page.panelB()}) {
            panel->setCheckpoint(checkpoint_);
            panel->setImageSize(16);
            panel->setSteps(kSteps);
            panel->setWeights(QStringLiteral("online"));
            panel->setInitialNoise(noise_);
        }
        page.panelA()->setSampler(ds::api::DiffusionSampler::Ddim);
        page.panelB()->setSampler(ds::api::DiffusionSampler::Ddpm);  // all 100 timesteps of the fixture
        runToEnd(page);
        QCOMPARE(page.panelA()->frames().size(), kSteps + 1);
        QCOMPARE(page.panelB()->frames().size(), 100 + 1);
        QCOMPARE(page.frameCount(), 101);
        // The shorter run finished first; the slider followed the longer one to its end, and both
        // show their last frame.
        QCOMPARE(page.currentFrame(), 100);
        QCOMPARE(page.panelB()->shownFrame(), 100);
        QCOMPARE(page.panelA()->shownFrame(), kSteps);
        page.setMatchNoise(false);
        page.setCurrentFrame(50);
        QCOMPARE(page.panelB()->shownFrame(), 50);
        QCOMPARE(page.panelA()->shownFrame(), kSteps);  // by index, the shorter run holds its last frame
        page.setMatchNoise(true);                       // by noise level, the DDIM frame nearest DDPM's step 50
        QCOMPARE(page.panelA()->shownFrame(),
                 page.panelA()->frames().nearestByNoise(page.panelB()->frames().at(50).alphaCumprod));
        QVERIFY(page.panelA()->shownFrame() > 0 && page.panelA()->shownFrame() < kSteps);
    }

    // Compare on a class-conditional checkpoint: the two runs start from the same x_T (the
    // page's seed) with the same class at two guidance scales, side by side; the guided run
    // ends elsewhere, and each run's last frame is what `sample` gives for its scale.
    void compareShowsTheSameNoiseAtTwoGuidanceScales() {
        const QString cfg = QString::fromStdString(ds::test::fixturePath("lucidrains_cfg/model_a.trainer.pt"));
        SamplerExplorerPage page;
        page.show();
        page.setCompare(true);
        const std::map<QString, double> scales{{QStringLiteral("A"), 1.0}, {QStringLiteral("B"), 6.0}};
        for (auto* panel : {page.panelA(), page.panelB()}) {
            panel->setCheckpoint(cfg);
            panel->setImageSize(16);
            panel->setSampler(ds::api::DiffusionSampler::Ddim);
            panel->setSteps(4);
        }
        for (const auto& [id, w] : scales) {
            auto* classBox = page.findChild<QComboBox*>(QStringLiteral("explorerClass") + id);
            auto* scale = page.findChild<QDoubleSpinBox*>(QStringLiteral("explorerCondScale") + id);
            QVERIFY(classBox && scale && classBox->isVisibleTo(&page) && scale->isVisibleTo(&page));
            classBox->setCurrentIndex(classBox->findData(2));
            scale->setValue(w);
        }
        page.findChild<QSpinBox*>(QStringLiteral("explorerCount"))->setValue(1);
        const int seed = page.findChild<QSpinBox*>(QStringLiteral("explorerSeed"))->value();
        runToEnd(page);
        const auto& a = page.panelA()->frames();
        const auto& b = page.panelB()->frames();
        QCOMPARE(a.size(), 5);
        QCOMPARE(b.size(), 5);
        QCOMPARE(a.at(0).xt, b.at(0).xt);   // the same x_T
        QVERIFY(a.at(4).xt != b.at(4).xt);  // guided elsewhere
        for (auto* panel : {page.panelA(), page.panelB()}) {
            auto request = panel->request(quint64(seed), 1);
            QCOMPARE(request.conditioning.classes, std::vector<int>{2});
            request.gridPath =
                work_.filePath(QStringLiteral("guided-%1.png").arg(panel == page.panelA() ? 1 : 6)).toStdString();
            ds::api::JobSink quiet;
            ds::StopToken stop;
            ds::api::runSampling(request, quiet, stop);
            QCOMPARE(QImage(QString::fromStdString(request.gridPath)).convertToFormat(QImage::Format_RGB32),
                     panel->frames().at(4).xt.convertToFormat(QImage::Format_RGB32));
        }
    }

    void runsOfEqualLengthBothEndOnTheirLastFrame() {
        // Whichever run finishes first sets the slider's range; the other still streams its last
        // frames into the same range and must show them.
        {
            SamplerExplorerPage page;
            page.setCompare(true);
            for (auto* panel : {page.panelA(), page.panelB()}) {
                panel->setCheckpoint(checkpoint_);
                panel->setImageSize(16);
                panel->setSampler(ds::api::DiffusionSampler::Ddim);
                panel->setSteps(kSteps);
            }
            page.panelB()->setEta(1.0);
            runToEnd(page);
            QCOMPARE(page.currentFrame(), kSteps);
            QCOMPARE(page.panelA()->shownFrame(), kSteps);
            QCOMPARE(page.panelB()->shownFrame(), kSteps);
        }
    }

    // A DPM-Solver++ run streams the reference code's states and x0 predictions (the step-by-step
    // parity is test_fast_samplers'), and lines up with a DDIM run of the same x_T by noise level.
    void fastSamplerRunLinesUpWithDdimByNoiseLevel() {
        const auto fast = ds::test::loadReferenceTensors(ds::test::fixturePath("fast_samplers/tiny_pred_v_sigmoid.pt"));
        const QString noise = work_.filePath(QStringLiteral("fast_x_T.pt"));
        ds::io::saveTorchFile(noise.toStdString(), ds::io::PyValue::tensor(fast.at("x_T")));
        SamplerExplorerPage page;
        page.setCompare(true);
        for (auto* panel : {page.panelA(), page.panelB()}) {
            panel->setCheckpoint(checkpoint_);
            panel->setImageSize(16);
            panel->setWeights(QStringLiteral("online"));
            panel->setInitialNoise(noise);
        }
        page.panelA()->setSampler(ds::api::DiffusionSampler::Ddim);
        page.panelA()->setSteps(40);
        page.panelB()->setSampler(ds::api::DiffusionSampler::DpmSolverPlusPlus);
        page.panelB()->setSolverOptions({});  // 2M, time-uniform
        page.panelB()->setSteps(10);
        runToEnd(page);
        auto* b = page.panelB();
        QCOMPARE(b->frames().size(), 11);
        const auto xs = fast.at("dpmpp_2m_tu_10_xs");  // (steps + 1, B, C, H, W), image space
        const auto x0 = fast.at("dpmpp_2m_tu_10_x0");  // one evaluation per step, at its start
        // test_fast_samplers' tolerance for this configuration: 1e-4 (or 4x the reference's float64
        // deviation) of the reference's magnitude.
        const auto fastTolerance = [&](const torch::Tensor& want) {
            return std::max(1e-4, 4.0 * fast.at("dpmpp_2m_tu_10_float64_deviation").item<double>()) *
                   std::max(1.0, ds::test::maxAbs(want));
        };
        for (int k : {0, 3, 10}) {
            const std::string frame = "explorer/dpmpp_2m_frame" + std::to_string(k);
            DS_CHECK_TOLERANCE(frame + "/xt_levels", maxPixelDiff(b->frames().at(k).xt, gridOf(xs[k].clamp(0, 1))),
                               pixelTolerance(fastTolerance(xs)));
            if (k > 0)
                DS_CHECK_TOLERANCE(frame + "/x0_levels",
                                   maxPixelDiff(b->frames().at(k).x0, gridOf(x0[k - 1].clamp(0, 1))),
                                   pixelTolerance(fastTolerance(x0)));
        }
        QVERIFY(b->frames().at(3).caption().contains(QStringLiteral("step 3 / 10")));
        // The slider runs over the longer (DDIM) run; the DPM-Solver++ panel follows by noise level:
        // both ends line up, and in between its frame is the one nearest in alpha-bar.
        QCOMPARE(page.frameCount(), 41);
        page.setCurrentFrame(0);
        QCOMPARE(b->shownFrame(), 0);
        page.setCurrentFrame(40);
        QCOMPARE(b->shownFrame(), 10);
        int previous = 0;
        for (int k = 0; k <= 40; k += 4) {
            page.setCurrentFrame(k);
            const double target = page.panelA()->frames().at(k).alphaCumprod;
            QCOMPARE(b->shownFrame(), b->frames().nearestByNoise(target));
            QVERIFY(b->shownFrame() >= previous);  // noise falls along both runs
            previous = b->shownFrame();
        }
        page.setCurrentFrame(20);
        QVERIFY(b->shownFrame() > 0 && b->shownFrame() < 10);
        // Without matching, the frames pair by index (the shorter run holds its last frame).
        page.setMatchNoise(false);
        QCOMPARE(b->shownFrame(), 10);
    }

    void sweepChartsEverySampler() {
        SamplerExplorerPage page;
        page.panelA()->setCheckpoint(checkpoint_);
        page.panelA()->setImageSize(16);
        page.findChild<QSpinBox*>(QStringLiteral("explorerCount"))->setValue(1);
        page.findChild<QLineEdit*>(QStringLiteral("explorerSweepSteps"))->setText(QStringLiteral("4, 8"));
        page.findChild<QSpinBox*>(QStringLiteral("explorerSweepReferenceSteps"))->setValue(24);
        QCOMPARE(page.runSweep(), QString());
        QVERIFY(page.sweepRunner()->waitForFinished(120000));
        QCOMPARE(page.sweepChart()->solverNames(), QStringList({"ddim", "dpm-solver++2m", "dpm-solver++3m", "unipc3"}));
        for (const QString& s : page.sweepChart()->solverNames()) {
            const auto points = page.sweepChart()->pointsOf(s);
            QCOMPARE(points.size(), 2);
            QCOMPARE(points[0].x(), 4.0);
            QVERIFY2(points[1].y() < points[0].y(), qPrintable(s));  // more steps, closer to the solution
        }
        QVERIFY(page.findChild<QLabel*>(QStringLiteral("explorerSweepSummary"))
                    ->text()
                    .contains(QStringLiteral("DPM-Solver++ 3M")));
        page.findChild<QLineEdit*>(QStringLiteral("explorerSweepSteps"))->setText(QStringLiteral("4, zero"));
        QVERIFY(page.runSweep().contains(QStringLiteral("whole numbers")));
    }

    void missingCheckpointIsReported() {
        SamplerExplorerPage page;
        page.panelA()->setCheckpoint(work_.filePath(QStringLiteral("nope.pt")));
        QSignalSpy finished(page.panelA()->runner(), &ds::ui::JobRunner::finished);
        page.run();
        QVERIFY(page.panelA()->runner()->waitForFinished(ds::test::kHangMs));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().at(0).toBool(), false);
        QVERIFY(finished.first().at(2).toString().contains(QStringLiteral("nope.pt")));
    }

private:
    static int expectedWidth(ds::ui::ExplorerRunPanel* panel) { return panel->frames().at(0).xt.width(); }
};

QTEST_MAIN(TestExplorerPage)
#include "test_explorer_page.moc"
