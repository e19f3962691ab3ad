// SPDX-License-Identifier: GPL-3.0-or-later
// `diffusion-studio-cli fid` end to end, as pytorch-fid is used: --save-stats --dims 64 gives
// pytorch-fid's stats_A_64.npz, `fid A B --dims 64` prints pytorch-fid's number in its format, and
// bad input fails with one line naming the file. Weights: the fid_formula ones, written once.
// Every test has its own statistics cache and output folder: none relies on another's files.
#include "core/fid/feature_extractor.h"
#include "core/fid/fid_image_decoder.h"
#include "core/fid/fid_stats_file.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/fid/npz_file.h"
#include "core/fid/prdc.h"
#include "core/io/png_file.h"
#include "tests/support/cli_runner.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/reference_tensors.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace ds;
using test::runCli;

namespace {

const QString kFormula = QString::fromStdString(test::fixturePath("fid_formula/"));

}  // namespace

class TestCliFid : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString weights_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

    // `fid` with the formula weights, 2 threads and the statistics cache in `scratch`.
    test::CliResult fid(QStringList args, const QTemporaryDir& scratch) const {
        args = QStringList{"--threads", "2", "fid"} + args +
               QStringList{"--weights", weights_, "--cache-dir", scratch.filePath("cache")};
        return runCli(args);
    }

private Q_SLOTS:
    void initTestCase() {
        weights_ = tmp("formula.pth");
        test::writeFormulaInceptionWeights(test::fixturePath("fid_formula/keys.tsv"), weights_.toStdString());
    }

    void saveStatsWritesPytorchFidStatistics() {
        QTemporaryDir scratch;
        const QString out = scratch.filePath("A_64.npz");
        const auto r = fid({"--save-stats", kFormula + "images/A", out, "--dims", "64"}, scratch);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto ours = fid::readFidStats(out.toStdString());
        const auto theirs = fid::readFidStats(test::fixturePath("fid_formula/stats_A_64.npz"));
        const double muScale = theirs.mu.abs().max().item<double>();
        const double sigmaScale = theirs.sigma.abs().max().item<double>();
        QVERIFY2(test::maxAbsDiff(ours.mu, theirs.mu) < 1e-5 * muScale,
                 qPrintable(QString::number(test::maxAbsDiff(ours.mu, theirs.mu))));
        QVERIFY(test::maxAbsDiff(ours.sigma, theirs.sigma) < 1e-5 * sigmaScale);
        // Laid out as np.savez_compressed writes it.
        QCOMPARE(fid::NpzFile(out.toStdString()).arrayNames(), (std::vector<std::string>{"mu", "sigma"}));
        QCOMPARE(fid::NpzFile(out.toStdString()).array("sigma").scalar_type(), torch::kDouble);

        const auto again = fid({"--save-stats", kFormula + "images/A", out, "--dims", "64"}, scratch);
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains("A_64.npz: already exists"), qPrintable(again.err));
    }

    void fid64PrintsPytorchFidsNumber() {
        std::ifstream in(test::fixturePath("fid_formula/reference.json"));
        const double expected = nlohmann::json::parse(in)["fid_64"];
        // --save-stats fills this test's cache with A's statistics; `fid` then reuses them.
        QTemporaryDir scratch;
        const auto saved =
            fid({"--save-stats", kFormula + "images/A", scratch.filePath("A_64.npz"), "--dims", "64"}, scratch);
        QVERIFY2(saved.exitCode == 0, qPrintable(saved.err));
        const auto r = fid({kFormula + "images/A", kFormula + "images/B", "--dims", "64"}, scratch);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto match = QRegularExpression("^FID:  (\\S+)\\n$").match(r.out);
        QVERIFY2(match.hasMatch(), qPrintable(r.out));
        const double value = match.captured(1).toDouble();
        QVERIFY2(std::abs(value - expected) / expected < 1e-3, qPrintable(r.out));
        QVERIFY2(r.err.contains("cached statistics used"), qPrintable(r.err));  // A, from --save-stats
    }

    void folderAgainstItsOwnStatisticsIsZero() {
        QTemporaryDir scratch;
        const auto r = fid({kFormula + "images/A", kFormula + "stats_A_64.npz", "--dims", "64"}, scratch);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(std::abs(r.out.mid(6).trimmed().toDouble()) < 1e-6, qPrintable(r.out));
    }

    void badInputFailsWithOneLine_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("npz without mu") << QStringList{tmp("no_mu.npz"), kFormula + "stats_A_64.npz"}
                                        << "no_mu.npz: no 'mu' array";
        QTest::newRow("dims differ") << QStringList{kFormula + "stats_A_64.npz", tmp("d4.npz")}
                                     << "different dimensions";
        QTest::newRow("missing path") << QStringList{tmp("nowhere"), kFormula + "stats_A_64.npz"}
                                      << "nowhere: does not exist";
        QTest::newRow("empty folder") << QStringList{tmp("empty"), kFormula + "stats_A_64.npz"} << "empty: no images";
    }
    void badInputFailsWithOneLine() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        fid::writeNpz(tmp("no_mu.npz").toStdString(), {{"sigma", torch::eye(4, torch::kDouble)}});
        fid::writeNpz(tmp("d4.npz").toStdString(),
                      {{"mu", torch::zeros({4}, torch::kDouble)}, {"sigma", torch::eye(4, torch::kDouble)}});
        QDir().mkpath(tmp("empty"));
        QTemporaryDir scratch;
        const auto r = fid(args, scratch);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: ") && r.err.contains(message) && r.err.count('\n') == 1, qPrintable(r.err));
    }

    // `fid A B --prdc --json`: the metrics of A (generated) against B (real), as the feature-level
    // computation (checked against torch-fidelity and clovaai's prdc in test_prdc) gives them on
    // the features the job extracts; B against A is a different answer (the negative control).
    void prdcIsTheGeneratedSetAgainstTheReference() {
        QTemporaryDir scratch;
        const auto r = fid({kFormula + "images/A", kFormula + "images/B", "--dims", "64", "--prdc", "--json"}, scratch);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QVERIFY2(j.contains("prdc") && j.contains("fid"), qPrintable(r.out));

        const fid::FeatureExtractor extractor(fid::loadFidInception(weights_.toStdString(), torch::kCPU), torch::kCPU,
                                              fid::ExtractionOptions{64, 50, 2, 0});
        const auto a = extractor.extract(fid::listFidImages((kFormula + "images/A").toStdString()), nullptr, nullptr);
        const auto b = extractor.extract(fid::listFidImages((kFormula + "images/B").toStdString()), nullptr, nullptr);
        const auto expected = fid::precisionRecallDensityCoverage(a, b);
        const auto swapped = fid::precisionRecallDensityCoverage(b, a);
        // A count may differ by one where a distance lies within float rounding of a radius
        // (sgemm's rounding depends on its thread count): one point of N or M.
        const double onePoint = 1.0 / double(std::min(a.size(0), b.size(0)));
        const auto& p = j["prdc"];
        const std::pair<const char*, std::pair<double, double>> metrics[] = {
            {"precision", {expected.precision, swapped.precision}},
            {"recall", {expected.recall, swapped.recall}},
            {"density", {expected.density, swapped.density}},
            {"coverage", {expected.coverage, swapped.coverage}}};
        double swappedDistance = 0.0;
        for (const auto& [name, values] : metrics) {
            const double got = p[name];
            QVERIFY2(std::abs(got - values.first) <= onePoint,
                     qPrintable(QString("%1: %2 against %3").arg(name).arg(got).arg(values.first)));
            swappedDistance = std::max(swappedDistance, std::abs(got - values.second));
        }
        QVERIFY2(swappedDistance > 2 * onePoint, "B against A gave the same metrics: the check cannot tell the order");
        QCOMPARE(int(p["neighbourhood"]), 3);
        QCOMPARE(int(p["nearest_k"]), 5);

        // A set against itself: every point is inside its own ball, every real ball is reached.
        const auto self =
            fid({kFormula + "images/A", kFormula + "images/A", "--dims", "64", "--prdc", "--json", "--nearest-k", "4"},
                scratch);
        QVERIFY2(self.exitCode == 0, qPrintable(self.err));
        const auto s = nlohmann::json::parse(self.out.toStdString())["prdc"];
        QCOMPARE(double(s["precision"]), 1.0);
        QCOMPARE(double(s["recall"]), 1.0);
        QCOMPARE(double(s["coverage"]), 1.0);
        QCOMPARE(int(s["nearest_k"]), 4);

        const auto stats = fid({kFormula + "images/A", kFormula + "stats_A_64.npz", "--dims", "64", "--prdc"}, scratch);
        QCOMPARE(stats.exitCode, 1);
        QVERIFY2(stats.err.contains("stats_A_64.npz: is a statistics file") && stats.err.contains("features"),
                 qPrintable(stats.err));
    }

    // `neighbours GEN TRAIN`: each generated image's k nearest training images, as a brute-force
    // search over the same features finds them, closest rows first; exact copies at distance 0;
    // the sheet PNG records what it shows. Pixel space the same, on the decoded pixels.
    void neighboursAreTheClosestTrainingImages() {
        QTemporaryDir scratch;
        const QString gen = kFormula + "images/A";
        const QString train = scratch.filePath("train");
        QVERIFY(QDir().mkpath(train));
        const auto bFiles = fid::listFidImages((kFormula + "images/B").toStdString());
        for (size_t i = 0; i < 40; ++i)
            QVERIFY(
                QFile::copy(QString::fromStdString(bFiles[i]), train + QString("/b%1.png").arg(i, 3, 10, QChar('0'))));
        const auto aFiles = fid::listFidImages(gen.toStdString());
        QVERIFY(QFile::copy(QString::fromStdString(aFiles[7]), train + "/copy_a07.png"));  // memorised
        QVERIFY(QFile::copy(QString::fromStdString(aFiles[42]), train + "/copy_a42.png"));
        const auto trainFiles = fid::listFidImages(train.toStdString());
        const QString sheet = scratch.filePath("sheet.png");
        const auto r =
            runCli({"--threads", "2", "neighbours", gen, train, "--dims", "64", "--k", "3", "--json", "--out", sheet,
                    "--rows", "5", "--weights", weights_, "--cache-dir", scratch.filePath("cache")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(int(j["k"]), 3);
        QCOMPARE(j["rows"].size(), aFiles.size());

        const fid::FeatureExtractor extractor(fid::loadFidInception(weights_.toStdString(), torch::kCPU), torch::kCPU,
                                              fid::ExtractionOptions{64, 50, 2, 0});
        const auto a = extractor.extract(aFiles, nullptr, nullptr).to(torch::kDouble);
        const auto b = extractor.extract(trainFiles, nullptr, nullptr).to(torch::kDouble);
        const auto distances = torch::cdist(a, b, 2.0, 2);  // (100, 42), float64, without the |a|^2 expansion
        double previous = -1.0;
        for (const auto& row : j["rows"]) {
            const int64_t i = row["index"];
            QCOMPARE(std::string(row["name"]), aFiles[size_t(i)]);
            const auto sorted = distances[i].sort();
            const auto expected = std::get<0>(sorted), order = std::get<1>(sorted);
            QCOMPARE(row["neighbours"].size(), size_t(3));
            for (int c = 0; c < 3; ++c) {
                const auto& m = row["neighbours"][c];
                const double want = expected[c].item<double>(), got = m["distance"];
                QVERIFY2(std::abs(got - want) <= 1e-5 * std::max(1.0, want),
                         qPrintable(QString("row %1, neighbour %2: %3 against %4").arg(i).arg(c).arg(got).arg(want)));
                // The same image unless two lie within rounding of each other.
                if (c + 1 < 3 && expected[c + 1].item<double>() - want > 1e-6)
                    QCOMPARE(int64_t(m["index"]), order[c].item<int64_t>());
                QCOMPARE(std::string(m["name"]), trainFiles[size_t(int64_t(m["index"]))]);
            }
            const double nearest = row["neighbours"][0]["distance"];
            QVERIFY2(nearest >= previous, "rows are not sorted by their nearest distance");
            previous = nearest;
        }
        // The two copies come first, each at 0 from its original.
        std::set<std::string> firstTwo;
        for (int r2 = 0; r2 < 2; ++r2) {
            const auto& m = j["rows"][r2]["neighbours"][0];
            QVERIFY2(double(m["distance"]) < 1e-6, qPrintable(QString::number(double(m["distance"]))));
            firstTwo.insert(QFileInfo(QString::fromStdString(m["name"])).fileName().toStdString());
        }
        QVERIFY((firstTwo == std::set<std::string>{"copy_a07.png", "copy_a42.png"}));
        QVERIFY(double(j["rows"][2]["neighbours"][0]["distance"]) > 1e-3);

        // The sheet: 5 rows of 4 cells, the 28-pixel images enlarged 3 times to 84 (whole factors
        // to at least 64), with margins, a header line and a distance under each cell.
        const cv::Mat image = fid::decodeFidImage(sheet.toStdString());
        const int cell = 84;
        QCOMPARE(image.cols, 8 + cell + 14 + 3 * cell + 2 * 4 + 8);
        QCOMPARE(image.rows, 8 + 18 + 5 * (cell + 14 + 4) + 8);
        std::map<std::string, std::string> text;
        for (const auto& [key, value] : io::readPngText(sheet.toStdString())) text[key] = value;
        QCOMPARE(text["ds.neighbours.k"], std::string("3"));
        QCOMPARE(text["ds.neighbours.training"], train.toStdString());
        QVERIFY2(text["ds.neighbours.space"].rfind("Inception (64-d)", 0) == 0, text["ds.neighbours.space"].c_str());

        // Pixel space: the distances of the decoded 8-bit images over 255 (ours: float32 values,
        // exact differences in float64).
        const auto pixels = runCli({"neighbours", gen, train, "--space", "pixels", "--k", "1", "--json"});
        QVERIFY2(pixels.exitCode == 0, qPrintable(pixels.err));
        const auto p = nlohmann::json::parse(pixels.out.toStdString());
        const auto decoded = [](const std::vector<std::string>& files) {
            std::vector<torch::Tensor> rows;
            for (const auto& f : files) {
                const cv::Mat rgb = fid::decodeFidImage(f);
                rows.push_back(torch::from_blob(rgb.data, {int64_t(rgb.total() * 3)}, torch::kUInt8)
                                   .to(torch::kDouble)
                                   .div(255.0));
            }
            return torch::stack(rows);
        };
        const auto pd = torch::cdist(decoded(aFiles), decoded(trainFiles), 2.0, 2);
        QVERIFY(std::string(p["space_label"]).find("pixels (28x28 RGB)") == 0);
        for (const auto& row : p["rows"]) {
            const int64_t i = row["index"];
            const double want = pd[i].min().item<double>(), got = row["neighbours"][0]["distance"];
            QVERIFY2(std::abs(got - want) <= 1e-6 * std::max(1.0, want),  // float32 pixels over 255
                     qPrintable(QString("pixels, row %1: %2 against %3").arg(i).arg(got).arg(want)));
        }
        QCOMPARE(double(p["rows"][0]["neighbours"][0]["distance"]), 0.0);

        // A statistics file holds no images to show.
        const auto stats = runCli({"neighbours", gen, kFormula + "stats_A_64.npz", "--weights", weights_});
        QCOMPARE(stats.exitCode, 1);
        QVERIFY2(stats.err.contains("stats_A_64.npz: is a file; nearest neighbours need the training images"),
                 qPrintable(stats.err));
    }

    void missingWeightsSayWhereToPutThem() {
        QTemporaryDir hub;
        qputenv("TORCH_HOME", hub.path().toUtf8());
        const auto r = runCli({"fid", kFormula + "images/A", kFormula + "images/B", "--no-cache"});
        qunsetenv("TORCH_HOME");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("github.com/mseitzer/pytorch-fid/releases") &&
                     r.err.contains(hub.path() + "/hub/checkpoints"),
                 qPrintable(r.err));
        const auto explicitMissing =
            runCli({"fid", kFormula + "images/A", kFormula + "images/B", "--weights", tmp("none.pth")});
        QVERIFY(explicitMissing.err.contains("none.pth: Inception weight file not found"));
    }
};

QTEST_GUILESS_MAIN(TestCliFid)
#include "test_cli_fid.moc"
