// SPDX-License-Identifier: GPL-3.0-or-later
// End-to-end training through diffusion-studio-cli on Fashion-MNIST: a run killed with
// SIGKILL resumes on exactly the same trajectory as a straight run, and a full disk fails with
// a clear error and no partial checkpoint.
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "core/train/trainer.h"
#include "tests/support/cli_runner.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/reference_tensors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <map>

using namespace ds;
using test::runCli;

namespace {

// A tiny training run on Fashion-MNIST through the CLI (seconds): batches of 8, a checkpoint
// every 4 steps, no previews.
QStringList tinyTrainArgs(const QString& runDir, int steps) {
    return test::tinyTrainCommand(runDir, steps,
                                  {"--batch-size", "8", "--save-every", "4", "--sample-every", "0", "--seed", "5"});
}

}  // namespace

class TestCliTraining : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

    // metrics.jsonl's FID records, by step.
    static std::map<int64_t, QJsonObject> fidRecords(const QString& runDir) {
        QFile f(runDir + "/metrics.jsonl");
        std::map<int64_t, QJsonObject> out;
        if (!f.open(QIODevice::ReadOnly)) return out;
        for (const auto& line : f.readAll().split('\n')) {
            const auto o = QJsonDocument::fromJson(line).object();
            if (o.contains("fid")) out[o["step"].toInteger()] = o;
        }
        return out;
    }

private Q_SLOTS:
    // FID during training: at every K steps the record in metrics.jsonl is the FID of the EMA
    // weights' samples from the documented noise (the same as `sample` then `fid` give from that
    // step's checkpoint), best.pt holds the lowest, and a resume keeps both.
    void fidDuringTrainingKeepsTheBestAndResumes() {
        QTemporaryDir hub;
        QDir().mkpath(hub.filePath("hub/checkpoints"));
        const QString weights = hub.filePath("hub/checkpoints/pt_inception-2015-12-05-6726825d.pth");
        test::writeFormulaInceptionWeights(test::fixturePath("fid_formula/keys.tsv"), weights.toStdString());
        qputenv("TORCH_HOME", hub.path().toUtf8());
        qputenv("XDG_CACHE_HOME", hub.filePath("cache").toUtf8());  // the statistics cache, this test's own
        const QString reference = QString::fromStdString(test::fixturePath("fid_formula/images/A"));
        const QString run = tmp("fid-run");
        const QStringList fid{"--fid-every", "2",  "--fid-samples", "6", "--fid-reference", reference,
                              "--fid-dims",  "64", "--fid-kid"};
        auto args = tinyTrainArgs(run, 4);
        args[args.indexOf("--save-every") + 1] = "2";
        const auto r = runCli(args + fid);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto records = fidRecords(run);
        QCOMPARE(int(records.size()), 2);
        QVERIFY(records.count(2) && records.count(4));
        QCOMPARE(records[4]["fid_label"].toString(), QStringLiteral("FID"));
        QCOMPARE(records[4]["fid_samples"].toInt(), 6);
        QVERIFY(records[2]["fid_best"].toBool());
        QCOMPARE(records[4]["fid_best"].toBool(), records[4]["fid"].toDouble() < records[2]["fid"].toDouble());

        // The step-4 record against `sample` + `fid` on that step's checkpoint, from the same noise.
        at::Generator gen = at::detail::createCPUGenerator(5 ^ train::kFidSeedSalt);
        const auto noise = torch::randn({6, 1, 16, 16}, gen);
        const QString noiseFile = tmp("fid-noise.pt"), folder = tmp("fid-samples");
        io::saveTorchFile(noiseFile.toStdString(), io::PyValue::tensor(noise));
        const auto sampled =
            runCli({"--threads", "1", "sample", "--checkpoint", run + "/checkpoints/step-4.pt", "--weights", "ema",
                    "--sampler", "dpm-solver++", "--steps", "20", "--init-noise", noiseFile, "--out-dir", folder});
        QVERIFY2(sampled.exitCode == 0, qPrintable(sampled.err));
        const auto measured = runCli({"--threads", "1", "fid", folder, reference, "--dims", "64", "--kid", "--json"});
        QVERIFY2(measured.exitCode == 0, qPrintable(measured.err));
        const auto fidJson = QJsonDocument::fromJson(measured.out.toUtf8()).object();
        const double expected = fidJson["fid"].toDouble();
        // Same weights, noise, sampler, pixels and features: equal but for float summation order.
        QVERIFY2(std::abs(records[4]["fid"].toDouble() - expected) <= 1e-6 * std::max(1.0, expected),
                 qPrintable(QString("%1 against %2").arg(records[4]["fid"].toDouble()).arg(expected)));
        // --fid-kid: KID of the same features, torch-fidelity's subsets (capped at the 6 samples).
        const double expectedKid = fidJson["kid"].toObject()["mean"].toDouble();
        QVERIFY2(records[4].contains("kid") && records[2].contains("kid_std"), "no KID in metrics.jsonl");
        QVERIFY2(std::abs(records[4]["kid"].toDouble() - expectedKid) <= 1e-6 * std::max(1e-3, std::abs(expectedKid)),
                 qPrintable(QString("KID %1 against %2").arg(records[4]["kid"].toDouble()).arg(expectedKid)));

        // best.pt: the lowest record's step and value.
        const auto best = records[4]["fid_best"].toBool() ? records[4] : records[2];
        const auto bestFile = io::loadTorchFile((run + "/checkpoints/best.pt").toStdString());
        QCOMPARE(bestFile->at("step").asInt(), int64_t(best["step"].toInteger()));
        QCOMPARE(bestFile->at("fid").asFloat(), best["fid"].toDouble());

        // Resume to 6 steps: the history stays, a third record comes, best.pt follows the minimum.
        const auto resumed = runCli({"--threads", "1", "resume", run, "--steps", "6"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("best checkpoint so far"), qPrintable(resumed.err));
        const auto after = fidRecords(run);
        QCOMPARE(int(after.size()), 3);
        QCOMPARE(after.at(2)["fid"].toDouble(), records[2]["fid"].toDouble());
        const double lowest =
            std::min({after.at(2)["fid"].toDouble(), after.at(4)["fid"].toDouble(), after.at(6)["fid"].toDouble()});
        QCOMPARE(after.at(6)["fid_best"].toBool(), after.at(6)["fid"].toDouble() == lowest);
        QCOMPARE(io::loadTorchFile((run + "/checkpoints/best.pt").toStdString())->at("fid").asFloat(), lowest);

        // A reference that is not there fails before the run directory exists.
        const auto missing = runCli(tinyTrainArgs(tmp("fid-missing"), 2) +
                                    QStringList{"--fid-every", "1", "--fid-reference", tmp("nowhere")});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("nowhere: does not exist"), qPrintable(missing.err));
        QVERIFY(!QFile::exists(tmp("fid-missing")));
        const auto noReference = runCli(tinyTrainArgs(tmp("fid-none"), 2) + QStringList{"--fid-every", "1"});
        QCOMPARE(noReference.exitCode, 1);
        QVERIFY2(noReference.err.contains("--fid-reference"), qPrintable(noReference.err));
        // KID needs the reference's images: a statistics file is refused before the run exists.
        const QString stats = QString::fromStdString(test::fixturePath("fid_formula/stats_A_64.npz"));
        const auto kidStats = runCli(tinyTrainArgs(tmp("fid-kid-stats"), 2) +
                                     QStringList{"--fid-every", "1", "--fid-reference", stats, "--fid-kid"});
        QCOMPARE(kidStats.exitCode, 1);
        QVERIFY2(kidStats.err.contains("stats_A_64.npz: is a statistics file; KID needs"), qPrintable(kidStats.err));
        QVERIFY(!QFile::exists(tmp("fid-kid-stats")));
        qunsetenv("TORCH_HOME");
        qunsetenv("XDG_CACHE_HOME");
    }

    // `bench quality`: the tiny preset trained for a few seconds of its own clock, measured every
    // 3 s of training and at the end; the measurements' time is not training time.
    void benchQualityMeasuresAgainstTrainingTime() {
        QTemporaryDir hub;
        QDir().mkpath(hub.filePath("hub/checkpoints"));
        test::writeFormulaInceptionWeights(
            test::fixturePath("fid_formula/keys.tsv"),
            hub.filePath("hub/checkpoints/pt_inception-2015-12-05-6726825d.pth").toStdString());
        qputenv("TORCH_HOME", hub.path().toUtf8());
        qputenv("XDG_CACHE_HOME", hub.filePath("cache").toUtf8());
        const QString reference = QString::fromStdString(test::fixturePath("fid_formula/images/A"));
        const QString run = tmp("bench-quality");
        const auto r = runCli({"--threads", "1", "bench", "quality", "--minutes", "0.1", "--fid-every-minutes", "0.05",
                               "--fid-samples", "4", "--steps", "2", "--fid-features", "inception", "--fid-reference",
                               reference, "--run-dir", run});
        qunsetenv("TORCH_HOME");
        qunsetenv("XDG_CACHE_HOME");
        if (r.exitCode != 0 && r.err.contains("Fashion-MNIST")) QSKIP(qPrintable(r.err));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const auto points = j["points"].toArray();
        // Two on a quiet machine; one when a single step outlasts the interval.
        QVERIFY2(!points.isEmpty() && points.size() <= 2, qPrintable(r.out));
        int64_t previousStep = 0;
        for (int i = 0; i < points.size(); ++i) {
            const auto p = points[i].toObject();
            QVERIFY2(p["train_seconds"].toDouble() >= 3.0 * (i + 1) - 1e-9, qPrintable(r.out));
            QVERIFY(p["step"].toInteger() > previousStep);
            previousStep = p["step"].toInteger();
            QVERIFY(std::isfinite(p["fd"].toDouble()) && p["fd"].toDouble() > 0.0);
            QVERIFY(p["fd_seconds"].toDouble() > 0.0);
            // Wall time counts the measurements before this one; training time does not.
            QVERIFY(p["wall_seconds"].toDouble() >= p["train_seconds"].toDouble());
        }
        QVERIFY2(points.last().toObject()["train_seconds"].toDouble() >= 6.0, qPrintable(r.out));
        QCOMPARE(j["final_step"].toInteger(), points.last().toObject()["step"].toInteger());
        QCOMPARE(j["sampler"].toString(), QStringLiteral("ddim"));
        // The run it kept: config.json records the time limit, metrics.jsonl the same points.
        QFile config(run + "/config.json");
        QVERIFY(config.open(QIODevice::ReadOnly));
        const auto c = QJsonDocument::fromJson(config.readAll()).object();
        QCOMPARE(c["schedule"].toObject()["max_seconds"].toDouble(), 6.0);
        QCOMPARE(c["fid"].toObject()["every_seconds"].toDouble(), 3.0);
        const auto records = fidRecords(run);
        QCOMPARE(int(records.size()), int(points.size()));
        QCOMPARE(records.rbegin()->second["fid"].toDouble(), points.last().toObject()["fd"].toDouble());
        QVERIFY2(r.err.contains("finished at step"), qPrintable(r.err));
    }

    // --conditional on Fashion-MNIST: lucidrains' class-conditional Unet trained on the labels; the
    // run and every checkpoint record the ten classes, `info` shows them, `sample --class-name`
    // samples one, and the previews are one row per class.
    void conditionalTrainingRecordsItsClasses() {
        const QString run = tmp("conditional");
        auto args = test::tinyTrainCommand(
            run, 4,
            {"--batch-size", "8", "--save-every", "4", "--sample-every", "4", "--sample-count", "10", "--sample-steps",
             "2", "--seed", "5", "--conditional", "--cond-drop-prob", "0.25"});
        const auto r = runCli(args);
        if (r.exitCode != 0 && r.err.contains("Fashion-MNIST")) QSKIP(qPrintable(r.err));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile configFile(run + "/config.json");
        QVERIFY(configFile.open(QIODevice::ReadOnly));
        const auto config = QJsonDocument::fromJson(configFile.readAll()).object();
        const auto names = config["class_names"].toArray();
        QCOMPARE(names.size(), 10);
        QCOMPARE(names[7].toString(), QStringLiteral("Sneaker"));
        QCOMPARE(config["conditional"].toObject()["cond_drop_prob"].toDouble(), 0.25);
        QCOMPARE(config["diffusion"].toObject()["objective"].toString(), QStringLiteral("pred_noise"));

        const QString checkpoint = run + "/checkpoints/step-4.pt";
        const auto info = runCli({"info", checkpoint, "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        const auto i = QJsonDocument::fromJson(info.out.toUtf8()).object();
        QCOMPARE(i["class_names"].toArray().size(), 10);
        const QString out = tmp("conditional-samples");
        const auto sampled =
            runCli({"--threads", "1", "sample", "--checkpoint", checkpoint, "--class-name", "Sneaker", "--cond-scale",
                    "3", "--num", "2", "--sampler", "ddim", "--steps", "2", "--out-dir", out});
        QVERIFY2(sampled.exitCode == 0, qPrintable(sampled.err));
        QCOMPARE(QDir(out).entryList({"*.png"}).size(), 2);
        // The preview: 10 rows of one image (16 px + 2 px padding).
        const cv::Mat preview = cv::imread((run + "/samples/step-4.png").toStdString(), cv::IMREAD_UNCHANGED);
        QVERIFY2(!preview.empty(), "no preview written");
        QCOMPARE(preview.rows, 10 * 18 + 2);

        // A folder of images is labelled by its class sub-folders; one without them is refused.
        const QString folder = tmp("classes");
        for (const QString cls : {"cats", "dogs"}) {
            QVERIFY(QDir().mkpath(folder + "/" + cls));
            for (int k = 0; k < 4; ++k) {
                const std::vector<uint8_t> pixels(16 * 16, uint8_t(cls == "cats" ? 40 * k : 255 - 40 * k));
                io::writePng((folder + "/" + cls + QString("/%1.png").arg(k)).toStdString(), pixels.data(), 16, 16, 1);
            }
        }
        const QString folderRun = tmp("conditional-folder");
        const auto f = runCli(test::tinyTrainCommand(
            folderRun, 2, {"--batch-size", "4", "--sample-every", "0", "--data", folder, "--conditional"}));
        QVERIFY2(f.exitCode == 0, qPrintable(f.err));
        QFile folderConfig(folderRun + "/config.json");
        QVERIFY(folderConfig.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(folderConfig.readAll()).object()["class_names"].toArray(),
                 (QJsonArray{"cats", "dogs"}));
        const auto flat = runCli(test::tinyTrainCommand(
            tmp("conditional-flat"), 2, {"--batch-size", "4", "--data", folder + "/cats", "--conditional"}));
        QCOMPARE(flat.exitCode, 1);
        QVERIFY2(flat.err.contains("class sub-folders"), qPrintable(flat.err));
    }

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
        args << "--amp"
             << "fp16";
        const auto r = runCli(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: --amp fp16") && r.err.trimmed().count('\n') == 0, qPrintable(r.err));
        QVERIFY(!QDir(run).exists());
    }

    void flowTrainingRunsFromTheCommandLine() {
        const QString run = tmp("flow");
        const auto r = runCli({"--threads", "1",         "train", "--family",     "flow", "--path",
                               "otcfm",     "--run-dir", run,     "--image-size", "16",   "--batch-size",
                               "8",         "--steps",   "3",     "--save-every", "3",    "--sample-every",
                               "1000",      "--device",  "cpu"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto info = runCli({"info", run + "/checkpoints/step-3.pt", "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        const auto doc = QJsonDocument::fromJson(info.out.toUtf8()).object();
        QCOMPARE(doc["family"].toString(), QString("flow"));
        QCOMPARE(doc["image_size"].toInt(), 16);
        QCOMPARE(doc["flow_unet"].toObject()["groups"].toInt(), 8);
        // lucidrains' Unet as the flow's backbone, sized with the diffusion options.
        const QString lucid = tmp("flow-lucidrains");
        const auto l = runCli({"--threads",  "1",
                               "train",      "--family",
                               "flow",       "--backbone",
                               "lucidrains", "--dim",
                               "8",          "--dim-mults",
                               "1,2",        "--run-dir",
                               lucid,        "--image-size",
                               "16",         "--batch-size",
                               "4",          "--steps",
                               "2",          "--save-every",
                               "2",          "--sample-every",
                               "1000",       "--device",
                               "cpu"});
        QVERIFY2(l.exitCode == 0, qPrintable(l.err));
        const auto lucidInfo = runCli({"info", lucid + "/checkpoints/step-2.pt", "--json"});
        const auto lucidDoc = QJsonDocument::fromJson(lucidInfo.out.toUtf8()).object();
        QCOMPARE(lucidDoc["backbone"].toString(), QString("lucidrains"));
        QCOMPARE(lucidDoc["lucidrains_unet"].toObject()["dim"].toInt(), 8);
        // torchcfm's UNetModel likewise: --dim is model_channels, --dim-mults channel_mult.
        const QString cfm = tmp("flow-torchcfm");
        const auto u = runCli(
            {"--threads", "1",           "train", "--family",     "flow", "--backbone",     "torchcfm", "--dim",
             "32",        "--dim-mults", "1,1",   "--run-dir",    cfm,    "--image-size",   "16",       "--batch-size",
             "4",         "--steps",     "2",     "--save-every", "2",    "--sample-every", "1000",     "--device",
             "cpu"});
        QVERIFY2(u.exitCode == 0, qPrintable(u.err));
        const auto cfmDoc =
            QJsonDocument::fromJson(runCli({"info", cfm + "/checkpoints/step-2.pt", "--json"}).out.toUtf8()).object();
        QCOMPARE(cfmDoc["backbone"].toString(), QString("torchcfm"));
        QCOMPARE(cfmDoc["torchcfm_unet"].toObject()["channel_mult"].toArray().size(), 2);
        QCOMPARE(cfmDoc["torchcfm_unet"].toObject()["in_channels"].toInt(), 1);
        // Options of the other family are refused with one line.
        for (const QStringList& bad :
             {QStringList{"--family", "flow", "--dim", "8"}, QStringList{"--path", "icfm"},
              QStringList{"--backbone", "lucidrains"}, QStringList{"--preset", "tiny", "--family", "flow"}}) {
            const auto e = runCli(QStringList{"train", "--run-dir", tmp("never")} + bad);
            QVERIFY2(e.exitCode > 0 && e.err.startsWith("error: ") && e.err.trimmed().count('\n') == 0,
                     qPrintable(e.err));
            QVERIFY(!QDir(tmp("never")).exists());
        }
    }
};

QTEST_GUILESS_MAIN(TestCliTraining)
#include "test_cli_training.moc"
