// diffusion-studio-cli on the seed's flow-matching checkpoint: `info`, and `sample` with each
// kind of solver checked against the original Python outputs (torchdiffeq) through
// --init-noise / --save-tensors, the PNG metadata, and one-line errors for flow-specific input.
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "tests/support/cli_runner.h"
#include "tests/support/reference_tensors.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace ds;
using test::runCli;

namespace {

const QString kCheckpoint = QString::fromStdString(test::fixturePath("cfm_g4vrel_tiny/ckpt.tar"));

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

private Q_SLOTS:
    void initTestCase() {
        ref_ = test::loadReferenceTensors(test::fixturePath("cfm_g4vrel_tiny/reference.pt"));
        io::saveTorchFile(tmp("y0.pt").toStdString(), io::PyValue::tensor(ref_.at("ode_y0")));
    }

    void infoDescribesSeedCheckpoint() {
        const auto r = runCli({"--threads", "1", "info", kCheckpoint});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("CFM seed"), qPrintable(r.out));
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
        QTest::addColumn<double>("tolerance");
        QTest::addColumn<int>("expectedNfe");  // -1: adaptive
        QTest::newRow("euler") << QStringList{"--solver", "euler", "--steps", "8"} << "euler" << 1e-4 << 8;
        QTest::newRow("midpoint") << QStringList{"--solver", "midpoint", "--steps", "8"} << "midpoint" << 1e-4 << 16;
        QTest::newRow("rk4-38") << QStringList{"--solver", "rk4-38", "--steps", "8"} << "rk4_38" << 1e-4 << 32;
        QTest::newRow("dopri5") << QStringList{"--solver", "dopri5", "--atol", "1e-5", "--rtol", "1e-5", "--times",
                                               "0,0.25,0.5,0.75,1"}
                                << "dopri5" << 1e-3 << -1;
    }
    void sampleMatchesTorchdiffeq() {
        QFETCH(QStringList, solverArgs);
        QFETCH(QString, key);
        QFETCH(double, tolerance);
        QFETCH(int, expectedNfe);
        const QString out = tmp(key + ".pt"), grid = tmp(key + ".png");
        const auto r = runCli(QStringList{"--threads", "1", "sample", "--checkpoint", kCheckpoint, "--weights", "online",
                                          "--groups", "8", "--init-noise", tmp("y0.pt"), "--save-tensors", out, "--grid",
                                          grid} + solverArgs);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto saved = io::loadTorchFile(out.toStdString());
        const auto& trajectory = saved->at("trajectory").asTensor();
        const double diff = test::maxAbsDiff(trajectory, ref_.at(key.toStdString()));
        QVERIFY2(diff < tolerance, qPrintable(QString("max abs diff %1").arg(diff)));
        const auto samples = saved->at("samples").asTensor();
        QVERIFY(test::maxAbsDiff(samples, ((trajectory[-1] + 1) * 0.5).clamp(0, 1)) < 1e-6);
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
        QTest::newRow("bad image size") << kCheckpoint << QStringList{"--groups", "8", "--image-size", "15"} << "multiple of 2";
        QTest::newRow("times out of range") << kCheckpoint << QStringList{"--image-size", "16", "--times", "0,2"} << "[0, 1]";
        QTest::newRow("times not increasing") << kCheckpoint << QStringList{"--image-size", "16", "--times", "0,0.5,0.5"}
                                              << "increasing";
        QTest::newRow("objective on a flow") << kCheckpoint << QStringList{"--image-size", "16", "--objective", "pred_v"}
                                             << "--objective applies to diffusion";
        QTest::newRow("solver on a diffusion model") << ddpm << QStringList{"--image-size", "16", "--solver", "euler"}
                                                     << "--solver applies to flow-matching";
        QTest::newRow("dopri5 steps differ between batches")
            << kCheckpoint << QStringList{"--image-size", "16", "--groups", "8", "--num", "4", "--batch-size", "2",
                                        "--save-tensors", tmp("x.pt")}
            << "--times";
    }
    void badInputGivesOneLineError() {
        QFETCH(QString, file);
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const auto r = runCli(QStringList{"--threads", "1", "sample", "--checkpoint", file, "--grid", tmp("never.png")} + args);
        QVERIFY2(r.exitCode > 0, qPrintable(r.err));
        const QString err = r.err.trimmed();
        QVERIFY2(err.startsWith("error: ") && !err.contains('\n'), qPrintable(err));
        QVERIFY2(err.contains(expected), qPrintable(err));
        QVERIFY(!QFile::exists(tmp("never.png")));
    }
};

QTEST_GUILESS_MAIN(TestCliFlow)
#include "test_cli_flow.moc"
