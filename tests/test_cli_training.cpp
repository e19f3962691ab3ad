// End-to-end training through diffusion-studio-cli on Fashion-MNIST: a run killed with
// SIGKILL resumes on exactly the same trajectory as a straight run, and a full disk fails with
// a clear error and no partial checkpoint.
#include "core/io/torch_file.h"
#include "tests/support/cli_runner.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace ds;
using test::runCli;

namespace {

// A tiny training run on Fashion-MNIST through the CLI (seconds).
QStringList tinyTrainArgs(const QString& runDir, int steps) {
    return {"--threads", "1", "train", "--run-dir", runDir, "--dim", "8", "--dim-mults", "1,2", "--image-size", "16",
            "--timesteps", "100", "--batch-size", "8", "--steps", QString::number(steps), "--save-every", "4",
            "--sample-every", "0", "--seed", "5", "--device", "cpu"};
}

}  // namespace

class TestCliTraining : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void killedTrainingResumesOnTheSameTrajectory() {
        const QString straight = tmp("straight"), killed = tmp("killed");
        QCOMPARE(runCli(tinyTrainArgs(straight, 24)).exitCode, 0);

        QProcess p;
        p.start(test::cliPath(), tinyTrainArgs(killed, 24));
        QVERIFY(p.waitForStarted());
        // Kill -9 between checkpoints: as soon as the first one exists (written whole, a temporary
        // file renamed), while the run goes on to its next steps. Waiting any longer would bet on
        // the machine's speed: a fast one ends the 24 steps first.
        QElapsedTimer timer;
        timer.start();
        while (!QFile::exists(killed + "/checkpoints/step-8.pt") && timer.elapsed() < test::kHangMs &&
               p.state() == QProcess::Running)
            QTest::qWait(5);
        QVERIFY2(p.state() == QProcess::Running, "the run ended before it could be killed");
        p.kill();
        QVERIFY(p.waitForFinished(test::kHangMs));
        QVERIFY2(p.exitStatus() == QProcess::CrashExit, "the run ended before the kill");
        QVERIFY(QFile::exists(killed + "/checkpoints/step-8.pt"));
        QVERIFY(!QFile::exists(killed + "/checkpoints/step-24.pt"));

        const auto r = runCli({"--threads", "1", "resume", killed});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.contains("resuming from"));
        const auto a = io::loadTorchFile((straight + "/checkpoints/step-24.pt").toStdString());
        const auto b = io::loadTorchFile((killed + "/checkpoints/step-24.pt").toStdString());
        for (const char* part : {"model", "ema"}) {
            const auto& da = a->at(part).asDict();
            const auto& db = b->at(part).asDict();
            QCOMPARE(da.size(), db.size());
            for (size_t i = 0; i < da.size(); ++i)
                if (da[i].second->is(io::PyValue::Kind::Tensor))
                    QVERIFY2(torch::equal(da[i].second->asTensor(), db[i].second->asTensor()),
                             da[i].first->asString().c_str());
        }
        // The metrics log has every logged step once, in order (and no preview records: off).
        QFile log(killed + "/metrics.jsonl");
        QVERIFY(log.open(QIODevice::ReadOnly));
        QList<int> steps;
        for (const auto& line : log.readAll().split('\n'))
            if (!line.isEmpty()) steps << QJsonDocument::fromJson(line).object()["step"].toInt();
        QCOMPARE(steps, (QList<int>{10, 20, 24}));
        QVERIFY(QDir(killed + "/checkpoints").entryList({"*.tmp*"}, QDir::Files).isEmpty());
    }

    void fullDiskFailsCleanlyAndKeepsCheckpointsWhole() {
        // A file-size limit makes the first checkpoint write fail the way a full disk does.
        const QString run = tmp("full");
        QProcess p;
        QStringList args = tinyTrainArgs(run, 8);
        for (auto& a : args) a = "'" + a + "'";
        p.start("bash", {"-c", "ulimit -f 400; exec '" + test::cliPath() + "' " + args.join(' ')});
        QVERIFY(p.waitForFinished(test::kHangMs));
        QVERIFY(p.exitStatus() == QProcess::NormalExit);
        QVERIFY(p.exitCode() > 0);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("error: ") && err.contains("step-4.pt"), qPrintable(err));
        QVERIFY(QDir(run + "/checkpoints").entryList(QDir::Files).isEmpty());
    }

    // A precision the device cannot run ends `train` before its first step with one error line
    // (as bf16 does where this CPU's oneDNN cannot run it), and leaves no run directory.
    void precisionTheDeviceCannotRunIsOneErrorLine() {
        const QString run = tmp("fp16");
        auto args = tinyTrainArgs(run, 2);
        args << "--amp" << "fp16";
        const auto r = runCli(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: --amp fp16") && r.err.trimmed().count('\n') == 0, qPrintable(r.err));
        QVERIFY(!QDir(run).exists());
    }

    void flowTrainingRunsFromTheCommandLine() {
        const QString run = tmp("flow");
        const auto r = runCli({"--threads", "1", "train", "--family", "flow", "--path", "otcfm", "--run-dir", run,
                               "--image-size", "16", "--batch-size", "8", "--steps", "3", "--save-every", "3",
                               "--sample-every", "1000", "--device", "cpu"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto info = runCli({"info", run + "/checkpoints/step-3.pt", "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        const auto doc = QJsonDocument::fromJson(info.out.toUtf8()).object();
        QCOMPARE(doc["family"].toString(), QString("flow"));
        QCOMPARE(doc["image_size"].toInt(), 16);
        QCOMPARE(doc["flow_unet"].toObject()["groups"].toInt(), 8);
        // lucidrains' Unet as the flow's backbone, sized with the diffusion options.
        const QString lucid = tmp("flow-lucidrains");
        const auto l = runCli({"--threads", "1", "train", "--family", "flow", "--backbone", "lucidrains", "--dim", "8",
                               "--dim-mults", "1,2", "--run-dir", lucid, "--image-size", "16", "--batch-size", "4",
                               "--steps", "2", "--save-every", "2", "--sample-every", "1000", "--device", "cpu"});
        QVERIFY2(l.exitCode == 0, qPrintable(l.err));
        const auto lucidInfo = runCli({"info", lucid + "/checkpoints/step-2.pt", "--json"});
        const auto lucidDoc = QJsonDocument::fromJson(lucidInfo.out.toUtf8()).object();
        QCOMPARE(lucidDoc["backbone"].toString(), QString("lucidrains"));
        QCOMPARE(lucidDoc["lucidrains_unet"].toObject()["dim"].toInt(), 8);
        // torchcfm's UNetModel likewise: --dim is model_channels, --dim-mults channel_mult.
        const QString cfm = tmp("flow-torchcfm");
        const auto u = runCli({"--threads", "1", "train", "--family", "flow", "--backbone", "torchcfm", "--dim", "32",
                               "--dim-mults", "1,1", "--run-dir", cfm, "--image-size", "16", "--batch-size", "4",
                               "--steps", "2", "--save-every", "2", "--sample-every", "1000", "--device", "cpu"});
        QVERIFY2(u.exitCode == 0, qPrintable(u.err));
        const auto cfmDoc =
            QJsonDocument::fromJson(runCli({"info", cfm + "/checkpoints/step-2.pt", "--json"}).out.toUtf8()).object();
        QCOMPARE(cfmDoc["backbone"].toString(), QString("torchcfm"));
        QCOMPARE(cfmDoc["torchcfm_unet"].toObject()["channel_mult"].toArray().size(), 2);
        QCOMPARE(cfmDoc["torchcfm_unet"].toObject()["in_channels"].toInt(), 1);
        // Options of the other family are refused with one line.
        for (const QStringList& bad : {QStringList{"--family", "flow", "--dim", "8"}, QStringList{"--path", "icfm"},
                                       QStringList{"--backbone", "lucidrains"},
                                       QStringList{"--preset", "tiny", "--family", "flow"}}) {
            const auto e = runCli(QStringList{"train", "--run-dir", tmp("never")} + bad);
            QVERIFY2(e.exitCode > 0 && e.err.startsWith("error: ") && e.err.trimmed().count('\n') == 0, qPrintable(e.err));
            QVERIFY(!QDir(tmp("never")).exists());
        }
    }
};

QTEST_GUILESS_MAIN(TestCliTraining)
#include "test_cli_training.moc"
