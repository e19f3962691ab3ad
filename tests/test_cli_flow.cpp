// SPDX-License-Identifier: GPL-3.0-or-later
// diffusion-studio-cli on g4vrel/CFM's flow-matching checkpoint: `info`, and `sample` with each
// kind of solver checked against the original Python outputs (torchdiffeq) through
// --init-noise / --save-tensors, the PNG metadata, and one-line errors for flow-specific input.
//
// Tolerances: fixed-grid trajectories are held to the U-Net's budget (kUnetRelativeTolerance of
// |v|) integrated over [0, 1] and grown by the flow (tests/support/flow_tolerance.h, computed on
// the same network in-process), dopri5 to test_flow_parity's kDopri5SolutionTolerance (the
// field's differences integrated, plus the steps they move). Negative control: each run against
// another solver's reference misses by at least kNegativeControlFactor times its tolerance.
#include "core/checkpoint/flow_checkpoint.h"
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "tests/support/cli_runner.h"
#include "tests/support/flow_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace ds;
using test::runCli;

namespace {

const QString kCheckpoint = QString::fromStdString(test::fixturePath("cfm_g4vrel_tiny/ckpt.tar"));

// dopri5 against torchdiffeq at atol = rtol = 1e-5: test_flow_parity's kDopri5SolutionTolerance
// (the U-Net's differences between kernels integrated over [0, 1], plus the steps they move;
// measured up to 4.1e-6 for |y| <= 4).
constexpr double kDopri5SolutionTolerance = 2e-5;
// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

std::string pngValue(const std::string& path, const std::string& key) {
    for (const auto& [k, v] : io::readPngText(path))
        if (k == key) return v;
    return {};
}

}  // namespace

class TestCliFlow : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::map<std::string, torch::Tensor> ref_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

    // The fixed-grid run's tolerance, on the same network in-process (8 steps over [0, 1]).
    double fixedGridTolerance(const QString& solver) const {
        checkpoint::FlowBuildOptions o;
        o.weights = api::Weights::Online;
        o.groups = 8;
        const auto net = checkpoint::buildVelocityNetwork(checkpoint::readFlowCheckpoint(kCheckpoint.toStdString()), o);
        c10::InferenceMode guard;
        const flow::VelocityField field = [&](double t, const torch::Tensor& x) {
            return net.forward(x, torch::full({x.size(0)}, t, x.options()));
        };
        flow::OdeOptions options;
        options.method = flow::parseOdeMethod(solver.toStdString());
        options.steps = 8;
        return test::fixedGridTolerance(field, options, ref_.at("ode_y0"), {0.0, 1.0}, true).tolerance;
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        ref_ = test::loadReferenceTensors(test::fixturePath("cfm_g4vrel_tiny/reference.pt"));
        io::saveTorchFile(tmp("y0.pt").toStdString(), io::PyValue::tensor(ref_.at("ode_y0")));
    }

    void infoDescribesSeedCheckpoint() {
        const auto r = runCli({"--threads", "1", "info", kCheckpoint});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("g4vrel/CFM flow-matching U-Net"), qPrintable(r.out));
        QVERIFY(r.out.contains("FlowUnet(ch=16, ch_mul=(1,2), att_channels=(0,1)"));
        QVERIFY(r.out.contains("online, ema"));
        QVERIFY(r.out.contains("--groups"));
        const auto j = runCli({"--threads", "1", "info", kCheckpoint, "--json"});
        QCOMPARE(j.exitCode, 0);
        const auto doc = QJsonDocument::fromJson(j.out.toUtf8()).object();
        QCOMPARE(doc["family"].toString(), QString("flow"));
        QCOMPARE(doc["step"].toInt(), 3);
        QCOMPARE(doc["ema_updates"].toInt(), 3);
        QCOMPARE(doc["flow_unet"].toObject()["ch"].toInt(), 16);
    }

    void sampleMatchesTorchdiffeq_data() {
        QTest::addColumn<QStringList>("solverArgs");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("wrongKey");  // the negative control: another solver's reference
        QTest::addColumn<int>("expectedNfe");   // -1: adaptive
        QTest::newRow("euler") << QStringList{"--solver", "euler", "--steps", "8"} << "euler"
                               << "midpoint" << 8;
        QTest::newRow("midpoint") << QStringList{"--solver", "midpoint", "--steps", "8"} << "midpoint"
                                  << "euler" << 16;
        QTest::newRow("rk4-38") << QStringList{"--solver", "rk4-38", "--steps", "8"} << "rk4_38"
                                << "euler" << 32;
        QTest::newRow("dopri5") << QStringList{"--solver", "dopri5", "--atol",  "1e-5",
                                               "--rtol",   "1e-5",   "--times", "0,0.25,0.5,0.75,1"}
                                << "dopri5"
                                << "euler" << -1;
    }
    void sampleMatchesTorchdiffeq() {
        QFETCH(QStringList, solverArgs);
        QFETCH(QString, key);
        QFETCH(QString, wrongKey);
        QFETCH(int, expectedNfe);
        const QString out = tmp(key + ".pt"), grid = tmp(key + ".png");
        const auto r =
            runCli(QStringList{"--threads", "1", "sample", "--checkpoint", kCheckpoint, "--weights", "online",
                               "--groups", "8", "--init-noise", tmp("y0.pt"), "--save-tensors", out, "--grid", grid} +
                   solverArgs);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto saved = io::loadTorchFile(out.toStdString());
        const auto& trajectory = saved->at("trajectory").asTensor();
        const double tolerance = expectedNfe < 0 ? kDopri5SolutionTolerance : fixedGridTolerance(solverArgs[1]);
        const std::string tag = "cli_flow/" + key.toStdString();
        DS_CHECK_TOLERANCE(tag, test::maxAbsDiff(trajectory, ref_.at(key.toStdString())), tolerance);
        // The other solver's states at the same times (every other grid point for dopri5's quarters).
        auto wrong = ref_.at(wrongKey.toStdString());
        if (wrong.size(0) != trajectory.size(0))
            wrong = wrong.slice(0, 0, wrong.size(0), (wrong.size(0) - 1) / (trajectory.size(0) - 1));
        DS_CHECK_NEGATIVE_CONTROL(tag + " against " + wrongKey.toStdString(), test::maxAbsDiff(trajectory, wrong),
                                  tolerance, kNegativeControlFactor);
        // The samples are the last state as images: one float32 rounding of a value in [0, 1].
        const auto samples = saved->at("samples").asTensor();
        DS_CHECK_TOLERANCE(tag + "/samples", test::maxAbsDiff(samples, ((trajectory[-1] + 1) * 0.5).clamp(0, 1)),
                           test::kFloat32Epsilon);
        const int64_t nfe = saved->at("nfe").asInt();
        if (expectedNfe >= 0) QCOMPARE(nfe, int64_t(expectedNfe));
        else QVERIFY(nfe >= 14 && (nfe - 2) % 6 == 0);
        QCOMPARE(saved->at("times").asTensor().size(0), trajectory.size(0));
        QVERIFY(r.err.contains(QString("%1 network evaluations").arg(nfe)));
        QCOMPARE(pngValue(grid.toStdString(), "ds.solver"), solverArgs[1].toStdString());
        QCOMPARE(pngValue(grid.toStdString(), "ds.nfe"), std::to_string(nfe));
        QCOMPARE(pngValue(grid.toStdString(), "ds.groups"), std::string("8"));
    }

    void dopri5RecordsItsStepsWithoutTimes() {
        const auto r = runCli({"--threads", "1", "sample", "--checkpoint", kCheckpoint, "--groups", "8", "--image-size",
                               "16", "--num", "2", "--seed", "3", "--save-tensors", tmp("steps.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto saved = io::loadTorchFile(tmp("steps.pt").toStdString());
        const auto times = saved->at("times").asTensor();
        QVERIFY(times.size(0) >= 3);
        QCOMPARE(times[0].item<double>(), 0.0);
        QCOMPARE(times[-1].item<double>(), 1.0);
        QCOMPARE(saved->at("trajectory").asTensor().sizes().vec(), (std::vector<int64_t>{times.size(0), 2, 3, 16, 16}));
    }

    void badInputGivesOneLineError_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        const QString ddpm = QString::fromStdString(test::fixturePath("ddpm_lucidrains_tiny/model-1.pt"));
        QTest::newRow("groups do not divide") << kCheckpoint << QStringList{"--image-size", "16", "--groups", "12"}
                                              << "--groups 12 does not divide the 16 channels";
        QTest::newRow("no image size") << kCheckpoint << QStringList{"--groups", "8"} << "--image-size";
        QTest::newRow("bad image size") << kCheckpoint << QStringList{"--groups", "8", "--image-size", "15"}
                                        << "multiple of 2";
        QTest::newRow("times out of range")
            << kCheckpoint << QStringList{"--image-size", "16", "--times", "0,2"} << "[0, 1]";
        QTest::newRow("times not increasing")
            << kCheckpoint << QStringList{"--image-size", "16", "--times", "0,0.5,0.5"} << "increasing";
        QTest::newRow("objective on a flow")
            << kCheckpoint << QStringList{"--image-size", "16", "--objective", "pred_v"}
            << "--objective applies to diffusion";
        QTest::newRow("solver on a diffusion model")
            << ddpm << QStringList{"--image-size", "16", "--solver", "euler"} << "--solver applies to flow-matching";
        QTest::newRow("dopri5 steps differ between batches")
            << kCheckpoint << QStringList{"--image-size", "16", "--groups",       "8",        "--num", "4",
                                          "--batch-size", "2",  "--save-tensors", tmp("x.pt")}
            << "--times";
    }
    void badInputGivesOneLineError() {
        QFETCH(QString, file);
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const auto r =
            runCli(QStringList{"--threads", "1", "sample", "--checkpoint", file, "--grid", tmp("never.png")} + args);
        QVERIFY2(r.exitCode > 0, qPrintable(r.err));
        const QString err = r.err.trimmed();
        QVERIFY2(err.startsWith("error: ") && !err.contains('\n'), qPrintable(err));
        QVERIFY2(err.contains(expected), qPrintable(err));
        QVERIFY(!QFile::exists(tmp("never.png")));
    }
};

QTEST_GUILESS_MAIN(TestCliFlow)
#include "test_cli_flow.moc"
