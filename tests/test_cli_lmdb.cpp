// SPDX-License-Identifier: GPL-3.0-or-later
// LSUN LMDBs through diffusion-studio-cli: lmdb-info, import-lmdb, and training straight from an
// LMDB.
#include "tests/support/cli_runner.h"
#include "tests/support/lmdb_fixture.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace ds;
using test::runCli;

class TestCliLmdb : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString db_;
    test::MixedEntries mixed_;

    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        db_ = tmp("mixed_lmdb");
        mixed_ = test::mixedEntries();
        test::writeLmdb(db_.toStdString(), mixed_.all);
    }

    void lmdbInfoPrintsTextAndJson() {
        const auto text = runCli({"lmdb-info", db_});
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY(text.out.contains("entries:    12"));
        QVERIFY(text.out.contains("JPEG 7"));
        QVERIFY(text.out.contains(QString::fromStdString(mixed_.all[0].key)));

        const auto json = runCli({"lmdb-info", db_, "--json"});
        QVERIFY2(json.exitCode == 0, qPrintable(json.err));
        const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QCOMPARE(o["entries"].toInt(), 12);
        QCOMPARE(o["formats"].toObject()["WebP"].toInt(), 4);
        QCOMPARE(o["first_keys"].toArray().size(), 5);
    }

    void importLmdbRawAndResizedSplit() {
        const QString raw = tmp("raw");
        const auto r = runCli({"--threads", "2", "import-lmdb", db_, "--out", raw, "--flat"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("10 written, 0 already there, 2 corrupt"), qPrintable(r.err));
        for (const auto& e : mixed_.good)
            QVERIFY(test::readFile((raw + "/").toStdString() + e.key + ".webp") == e.value);

        const QString split = tmp("split");
        const QStringList splitArgs{"import-lmdb", db_,   "--out",   split, "--size", "16",
                                    "--format",    "jpg", "--split", "4,2", "--seed", "3"};
        const auto s = runCli(splitArgs);
        QVERIFY2(s.exitCode == 0, qPrintable(s.err));
        QCOMPARE(QDir(split + "/train").entryList(QDir::Files).size(), 4);
        QCOMPARE(QDir(split + "/test").entryList(QDir::Files).size(), 2);
        QVERIFY(QFile::exists(split + "/lmdb-import-report.json"));
        const auto again = runCli(splitArgs);  // a second run finds everything done
        QVERIFY2(again.err.contains("0 written, 6 already there"), qPrintable(again.err));
    }

    void importLmdbErrorsAreOneLineNamingThePath() {
        const QString plain = tmp("not_a_db");
        QDir().mkpath(plain);
        const auto r = runCli({"import-lmdb", plain, "--out", tmp("never")});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err.trimmed(), "error: " + plain + ": not an LMDB (no data.mdb in the folder)");
        const auto info = runCli({"lmdb-info", tmp("nowhere")});
        QCOMPARE(info.exitCode, 1);
        QVERIFY(info.err.contains(tmp("nowhere") + ": no such folder"));
        // Half a download: a one-line error, where LMDB alone would die of SIGBUS.
        const QString half = tmp("half_lmdb");
        QDir().mkpath(half);
        QFile whole(db_ + "/data.mdb"), part(half + "/data.mdb");
        QVERIFY(whole.open(QIODevice::ReadOnly) && part.open(QIODevice::WriteOnly));
        part.write(whole.read(whole.size() / 2));
        part.close();
        for (const QStringList& args :
             {QStringList{"lmdb-info", half}, QStringList{"import-lmdb", half, "--out", tmp("never")},
              QStringList{"train", "--data", half, "--steps", "1", "--run-dir", tmp("never_run")}}) {
            const auto failed = runCli(args);
            QCOMPARE(failed.exitCode, 1);
            QVERIFY2(failed.err.trimmed().startsWith("error: " + half + "/data.mdb: truncated: ") &&
                         !failed.err.trimmed().contains('\n'),
                     qPrintable(args.join(' ') + ": " + r.err));
        }
        QVERIFY(!QDir(tmp("never")).exists());
        QVERIFY(!QDir(tmp("never_run")).exists());  // a run that could not start leaves no folder
    }

    void fullDiskFailsWithTheFileNamed() {
        // A file-size limit makes writes fail the way a full disk does (EFBIG instead of ENOSPC).
        const QString out = tmp("full");
        QProcess p;
        p.start("bash", {"-c", "ulimit -f 0; exec '" + test::cliPath() + "' import-lmdb '" + db_ + "' --out '" + out +
                                   "' --flat --threads 1"});
        QVERIFY(p.waitForFinished(ds::test::kHangMs));
        QCOMPARE(p.exitCode(), 1);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("error: " + out + "/") && err.contains("could not save"), qPrintable(err));
        // The failed file left nothing behind, not even a temporary file.
        QCOMPARE(QDir(out).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    void trainsStraightFromAnLmdb() {
        const QString db = tmp("train_lmdb");
        test::writeLmdb(db.toStdString(), test::cleanEntries(12));
        const QString run = tmp("run");
        const auto r = runCli({"--threads", "2",           "train", "--data",       db,    "--run-dir",
                               run,         "--channels",  "3",     "--image-size", "16",  "--dim",
                               "8",         "--dim-mults", "1,2",   "--timesteps",  "100", "--batch-size",
                               "4",         "--steps",     "3",     "--save-every", "3",   "--sample-every",
                               "1000",      "--seed",      "2",     "--device",     "cpu"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("data: LMDB " + db + " (12 images, 0 skipped; 16x16 RGB"), qPrintable(r.err));
        QVERIFY(QFile::exists(run + "/checkpoints/step-3.pt"));
        QFile metrics(run + "/metrics.jsonl");
        QVERIFY(metrics.open(QIODevice::ReadOnly));
        auto lines = metrics.readAll().trimmed().split('\n');
        QVERIFY(!lines.isEmpty());
        if (!lines.last().contains("\"loss\"")) lines.removeLast();  // the last step's preview record
        const double loss = QJsonDocument::fromJson(lines.last()).object()["loss"].toDouble();
        QVERIFY(std::isfinite(loss) && loss > 0);
        const QJsonObject config = QJsonDocument::fromJson([&] {
                                       QFile f(run + "/config.json");
                                       f.open(QIODevice::ReadOnly);
                                       return f.readAll();
                                   }())
                                       .object();
        QCOMPARE(config["data"].toObject()["source"].toString(), db);
    }

    // Several LMDBs given together are the classes of a class-conditional run, one each, named
    // as LSUN names its files: the labels are the LMDBs' order; without --conditional, or with a
    // part that is no LMDB, the run is refused with the reason.
    void severalLmdbsAreTheClassesOfAConditionalRun() {
        const QString bedroom = tmp("bedroom_train_lmdb"), church = tmp("church_outdoor_train_lmdb");
        test::writeLmdb(bedroom.toStdString(), test::cleanEntries(12));
        test::writeLmdb(church.toStdString(), test::cleanEntries(8));
        const QString run = tmp("run-classes");
        const QStringList model{"--channels",     "3",    "--image-size", "16", "--dim",    "8",  "--dim-mults",  "1,2",
                                "--timesteps",    "100",  "--batch-size", "4",  "--steps",  "2",  "--save-every", "2",
                                "--sample-every", "1000", "--seed",       "2",  "--device", "cpu"};
        const auto r = runCli(QStringList{"--threads", "2", "train", "--data", bedroom + "," + church, "--conditional",
                                          "--run-dir", run} +
                              model);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("data: 2 classes, 20 images: 0 bedroom (LMDB " + bedroom + " (12 images") &&
                     r.err.contains("; 1 church_outdoor (LMDB " + church + " (8 images"),
                 qPrintable(r.err));
        QFile configFile(run + "/config.json");
        QVERIFY(configFile.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(configFile.readAll()).object()["class_names"].toArray(),
                 (QJsonArray{"bedroom", "church_outdoor"}));
        const auto info = runCli({"info", run + "/checkpoints/step-2.pt"});
        QVERIFY2(info.out.contains("0 bedroom, 1 church_outdoor"), qPrintable(info.out));

        const auto unconditional =
            runCli(QStringList{"train", "--data", bedroom + "," + church, "--run-dir", tmp("run-no")} + model);
        QCOMPARE(unconditional.exitCode, 1);
        QVERIFY2(unconditional.err.contains("are the classes of a class-conditional run: add --conditional"),
                 qPrintable(unconditional.err));
        const auto notLmdb = runCli(QStringList{"train", "--data", bedroom + "," + tmp("nowhere"), "--conditional",
                                                "--run-dir", tmp("run-bad")} +
                                    model);
        QCOMPARE(notLmdb.exitCode, 1);
        QVERIFY2(notLmdb.err.contains(tmp("nowhere") + ": is not an LMDB folder"), qPrintable(notLmdb.err));
        QVERIFY(!QFile::exists(tmp("run-bad") + "/config.json"));
    }
};

QTEST_GUILESS_MAIN(TestCliLmdb)
#include "test_cli_lmdb.moc"
