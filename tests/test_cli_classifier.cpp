// SPDX-License-Identifier: GPL-3.0-or-later
// `diffusion-studio-cli train-classifier` and `fid --features` end to end: a classifier trained
// on 1,000 Fashion-MNIST images is written where `fid --features fashion-mnist` finds it, `fid`
// prints a Fréchet distance named by its feature space (not "FID:"), the built-in test set is a
// reference, and the errors name what to do. XDG_CACHE_HOME and TORCH_HOME point into temporary
// folders: nothing of the user's is read or written. The classifier is trained once, in
// initTestCase; every test has its own statistics cache and relies on no other test's files.
#include "core/data/fashion_mnist_source.h"
#include "core/features/classifier_file.h"
#include "core/fid/builtin_reference.h"
#include "core/fid/fid_stats_file.h"
#include "core/io/png_file.h"
#include "tests/support/cli_runner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>

using namespace ds;
using test::runCli;

namespace {

// XDG_CACHE_HOME set for one scope (the CLI runs as a child process and inherits it).
class CacheHome {
public:
    explicit CacheHome(const QString& path) : old_(qgetenv("XDG_CACHE_HOME")) {
        qputenv("XDG_CACHE_HOME", path.toUtf8());
    }
    ~CacheHome() { qputenv("XDG_CACHE_HOME", old_); }
    CacheHome(const CacheHome&) = delete;
    CacheHome& operator=(const CacheHome&) = delete;

private:
    QByteArray old_;
};

// The first `count` Fashion-MNIST test images as 32x32 PNGs (the frame of the built-in data and
// of our samples), inverted when asked.
void writeTestImages(const QString& folder, int count, bool invert) {
    const fid::BuiltinReference test("fashion-mnist-test");
    std::filesystem::create_directories(folder.toStdString());
    const auto images = test.images();
    for (int i = 0; i < count; ++i) {
        cv::Mat rgb = images.rgb(size_t(i));
        if (invert) rgb = cv::Scalar::all(255) - rgb;
        io::writePng(QString("%1/%2.png").arg(folder).arg(i, 4, 10, QChar('0')).toStdString(), rgb.data, 32, 32, 3);
    }
}

// The classifier's class for each of the first `count` test images, computed here from the
// built-in set's pixels as docs/feature-networks.md states the input (gray, INTER_AREA to the
// network's side, / 255): the reference `classify` must reproduce from the PNGs it reads.
std::vector<int64_t> predictedClasses(const std::string& classifierPath, int count) {
    const auto file = features::readClassifierFile(classifierPath);
    auto net = features::buildClassifier(file);
    const fid::BuiltinReference test("fashion-mnist-test");
    const auto images = test.images();
    std::vector<torch::Tensor> inputs;
    for (int i = 0; i < count; ++i) {
        cv::Mat gray, small;
        cv::cvtColor(images.rgb(size_t(i)), gray, cv::COLOR_RGB2GRAY);
        const int side = file.record.config.inputSize;
        cv::resize(gray, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
        inputs.push_back(torch::from_blob(small.data, {1, side, side}, torch::kUInt8).to(torch::kFloat).div(255.0));
    }
    torch::NoGradGuard noGrad;
    const auto predicted = net->forward(torch::stack(inputs)).argmax(1).contiguous();
    return {predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + count};
}

}  // namespace

class TestCliClassifier : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    test::CliResult trained_;  // initTestCase's train-classifier run
    QString tmp(const QString& name) const { return dir_.filePath(name); }
    // The cache home the classifier was trained into, and where train-classifier put it.
    QString cacheHome() const { return tmp("cache"); }
    QString classifier() const { return cacheHome() + "/diffusion-studio/features/fashion-mnist-classifier.pt"; }

    // `fid` with 2 threads, the trained classifier's cache home and `scratch`'s statistics cache.
    test::CliResult fid(QStringList args, const QTemporaryDir& scratch) const {
        const CacheHome home(cacheHome());
        return runCli(QStringList{"--threads", "2", "fid"} + args +
                      QStringList{"--cache-dir", scratch.filePath("fid-cache")});
    }

private Q_SLOTS:
    void initTestCase() {
        try {
            writeTestImages(tmp("samples"), 300, false);
        } catch (const std::exception& e) {
            QSKIP(qPrintable(QString("Fashion-MNIST is not installed: ") + e.what()));
        }
        qputenv("TORCH_HOME", tmp("torch").toUtf8());  // no Inception weights there
        const CacheHome home(cacheHome());
        trained_ = runCli({"--threads", "2", "train-classifier", "--data", "fashion-mnist", "--train-images", "1000",
                           "--test-images", "500", "--epochs", "2", "--batch-size", "32", "--seed", "1"});
        QVERIFY2(trained_.exitCode == 0, qPrintable(trained_.err));
    }

    void cleanupTestCase() { qunsetenv("TORCH_HOME"); }

    void trainClassifierWritesItWhereFidFindsIt() {
        const auto match = QRegularExpression(
                               "^test accuracy: (\\d+\\.\\d\\d) % \\(500 images\\)\\n"
                               "features: (fashion-mnist classifier, 128-d \\(sha256 [0-9a-f]{16}\\))\\n(.*)\\n$")
                               .match(trained_.out);
        QVERIFY2(match.hasMatch(), qPrintable(trained_.out));
        QVERIFY2(match.captured(1).toDouble() > 50.0, qPrintable(trained_.out));  // chance: 10 %
        QCOMPARE(match.captured(3), classifier());
        QVERIFY2(trained_.err.contains("epoch 2/2: loss"), qPrintable(trained_.err));
        // The file records what was printed: the accuracy, the test images, the feature space.
        const auto file = features::readClassifierFile(classifier().toStdString());
        QCOMPARE(QString::fromStdString(file.featureSpaceId()), match.captured(2));
        QCOMPARE(file.record.testImages, int64_t(500));
        QVERIFY(std::abs(100.0 * file.record.testAccuracy - match.captured(1).toDouble()) <= 0.005 + 1e-9);
        QCOMPARE(file.record.training.at("train_images").get<int64_t>(), int64_t(1000));
        QCOMPARE(file.record.training.at("epochs").get<int>(), 2);
    }

    void badTrainClassifierArgumentsFailWithOneLine() {
        QTemporaryDir home;
        const CacheHome scope(home.path());
        // Refused by the argument parser (CLI11's exit codes), before anything is read.
        const auto data = runCli({"train-classifier", "--data", "mnist"});
        QVERIFY2(data.exitCode > 0, qPrintable(data.err));
        QVERIFY2(data.err.contains("--data") && data.err.contains("fashion-mnist"), qPrintable(data.err));
        const auto epochs = runCli({"train-classifier", "--data", "fashion-mnist", "--epochs", "0"});
        QVERIFY2(epochs.exitCode > 0, qPrintable(epochs.err));
        QVERIFY2(epochs.err.contains("--epochs"), qPrintable(epochs.err));
        QVERIFY(!QFileInfo::exists(home.filePath("diffusion-studio/features/fashion-mnist-classifier.pt")));
    }

    void withoutInceptionWeightsTheErrorNamesBothChoices() {
        QTemporaryDir scratch;
        const auto r = fid({tmp("samples"), "fashion-mnist-test"}, scratch);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.count('\n') == 1, qPrintable(r.err));
        QVERIFY2(r.err.contains("github.com/mseitzer/pytorch-fid/releases") &&
                     r.err.contains("--features fashion-mnist") &&
                     r.err.contains("train-classifier --data fashion-mnist"),
                 qPrintable(r.err));
    }

    void withoutAClassifierTheErrorSaysHowToTrainIt() {
        QTemporaryDir home;  // a cache home without a classifier
        const CacheHome scope(home.path());
        const auto r =
            runCli({"fid", "--features", "fashion-mnist", tmp("samples"), "fashion-mnist-test", "--no-cache"});
        QCOMPARE(r.exitCode, 1);
        const QString expected = home.filePath("diffusion-studio/features/fashion-mnist-classifier.pt");
        QVERIFY2(r.err.contains(expected + ": no Fashion-MNIST classifier here") &&
                     r.err.contains("train-classifier --data fashion-mnist") && r.err.count('\n') == 1,
                 qPrintable(r.err));
    }

    void fidWithTheClassifierPrintsAFrechetDistanceInItsSpace() {
        QTemporaryDir scratch;
        const auto r = fid({"--features", "fashion-mnist", tmp("samples"), "fashion-mnist-test"}, scratch);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto match = QRegularExpression("^FD \\(fashion-mnist classifier, 128-d\\): (\\S+)\\n$").match(r.out);
        QVERIFY2(match.hasMatch(), qPrintable(r.out));
        const double fd = match.captured(1).toDouble();
        QVERIFY2(fd >= 0 && fd < 5, qPrintable(r.out));  // 300 of the test images against all of them
        QVERIFY2(r.err.contains("300 and 10000 images"), qPrintable(r.err));
        QVERIFY2(r.err.contains("test accuracy") && r.err.contains(classifier()), qPrintable(r.err));

        // --features FILE: the same network, the same number, both sides now cached.
        const auto byFile = fid({"--features", classifier(), tmp("samples"), "fashion-mnist-test"}, scratch);
        QVERIFY2(byFile.exitCode == 0, qPrintable(byFile.err));
        QCOMPARE(byFile.out, r.out);
        QVERIFY2(byFile.err.contains("cached statistics used"), qPrintable(byFile.err));

        // Far from Fashion-MNIST: the same images inverted.
        writeTestImages(scratch.filePath("inverted"), 300, true);
        const auto inverted =
            fid({"--features", "fashion-mnist", scratch.filePath("inverted"), "fashion-mnist-test"}, scratch);
        QVERIFY2(inverted.exitCode == 0, qPrintable(inverted.err));
        const double far = inverted.out.mid(inverted.out.indexOf(": ") + 2).trimmed().toDouble();
        QVERIFY2(far > 10 * fd, qPrintable(inverted.out + " vs " + r.out));
    }

    void statisticsOfAnotherFeatureSpaceAreRefused() {
        QTemporaryDir scratch;
        const QString stats = scratch.filePath("samples_fd.npz");
        const auto saved = fid({"--features", "fashion-mnist", "--save-stats", tmp("samples"), stats}, scratch);
        QVERIFY2(saved.exitCode == 0, qPrintable(saved.err));
        QVERIFY(fid::readFidStatsSpace(stats.toStdString()).rfind("fashion-mnist classifier, 128-d (sha256 ", 0) == 0);
        // Two statistics files: the feature space comes from them; the label names it. No
        // network is needed (none is found: TORCH_HOME is empty).
        const auto files = fid({stats, stats}, scratch);
        QVERIFY2(files.exitCode == 0, qPrintable(files.err));
        QVERIFY2(files.out.startsWith("FD (fashion-mnist classifier, 128-d): "), qPrintable(files.out));

        const QString inception = scratch.filePath("inception.npz");
        fid::writeFidStats(inception.toStdString(),
                           {torch::zeros({128}, torch::kDouble), torch::eye(128, torch::kDouble), 0});
        const auto mixed = fid({"--features", "fashion-mnist", tmp("samples"), inception}, scratch);
        QCOMPARE(mixed.exitCode, 1);
        QVERIFY2(
            mixed.err.startsWith("error: " + inception + ": holds statistics of pytorch-fid's Inception features") &&
                mixed.err.count('\n') == 1,
            qPrintable(mixed.err));
        const auto twoSpaces = fid({stats, inception}, scratch);
        QCOMPARE(twoSpaces.exitCode, 1);
        QVERIFY2(twoSpaces.err.contains("distances between two feature spaces mean nothing"),
                 qPrintable(twoSpaces.err));
        const auto dims = fid({"--features", "fashion-mnist", "--dims", "64", tmp("samples"), tmp("samples")}, scratch);
        QCOMPARE(dims.exitCode, 1);
        QVERIFY2(dims.err.contains("--features fashion-mnist gives 128-d features"), qPrintable(dims.err));
    }

    // `classify FOLDER`: each PNG's ds.class against the classifier's prediction, counted into
    // the accuracy, the per-class figures and the confusion matrix; PNGs without ds.class are
    // counted apart; bad labels are refused naming the file.
    void classifyCountsImagesRecognisedAsTheirClass() {
        QTemporaryDir scratch;
        const CacheHome home(cacheHome());
        const int labelledCount = 120;
        const auto predicted = predictedClasses(classifier().toStdString(), labelledCount);
        const auto truth = data::FashionMnistSource::readLabels(data::FashionMnistSource::defaultDirectory(), "test");
        const fid::BuiltinReference test("fashion-mnist-test");
        const auto images = test.images();
        const QString folder = scratch.filePath("samples");
        std::filesystem::create_directories(folder.toStdString());
        // Even images ask for their own class, odd ones for the class three further on; ten more
        // record no class.
        std::vector<int64_t> asked(labelledCount);
        int64_t correct = 0;
        std::vector<std::vector<int64_t>> confusion(10, std::vector<int64_t>(10, 0));
        std::vector<int64_t> perClass(10, 0), perClassCorrect(10, 0);
        for (int i = 0; i < labelledCount + 10; ++i) {
            const cv::Mat rgb = images.rgb(size_t(i));
            io::PngText text;
            if (i < labelledCount) {
                asked[size_t(i)] = (truth[size_t(i)] + (i % 2 ? 3 : 0)) % 10;
                text.push_back({"ds.class", std::to_string(asked[size_t(i)])});
                const int64_t a = asked[size_t(i)], p = predicted[size_t(i)];
                ++confusion[size_t(a)][size_t(p)];
                ++perClass[size_t(a)];
                if (a == p) ++correct, ++perClassCorrect[size_t(a)];
            }
            io::writePng(QString("%1/%2.png").arg(folder).arg(i, 4, 10, QChar('0')).toStdString(), rgb.data, 32, 32, 3,
                         text);
        }
        QVERIFY2(correct > labelledCount / 4 && correct < labelledCount * 3 / 4, "both kinds of rows are counted");

        const auto r = runCli({"--threads", "2", "classify", folder, "--json", "--batch-size", "7"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto json = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(json["images"].toInt(), labelledCount + 10);
        QCOMPARE(json["labelled"].toInt(), labelledCount);
        QCOMPARE(json["correct"].toInt(), int(correct));
        QCOMPARE(json["accuracy"].toDouble(), double(correct) / labelledCount);
        for (int a = 0; a < 10; ++a) {
            const auto row = json["confusion"].toArray()[a].toArray();
            for (int p = 0; p < 10; ++p) QCOMPARE(row[p].toInt(), int(confusion[size_t(a)][size_t(p)]));
            const auto entry = json["per_class"].toArray()[a].toObject();
            QCOMPARE(entry["images"].toInt(), int(perClass[size_t(a)]));
            QCOMPARE(entry["correct"].toInt(), int(perClassCorrect[size_t(a)]));
            QCOMPARE(entry["name"].toString(), QString(data::FashionMnistSource::kClassNames[size_t(a)]));
        }
        const auto plain = runCli({"--threads", "2", "classify", folder});
        QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
        QVERIFY2(plain.out.startsWith(QString("accuracy: %1 (%2 of %3 images recognised as their class; fashion-mnist "
                                              "classifier")
                                          .arg(double(correct) / labelledCount, 0, 'f', 4)
                                          .arg(correct)
                                          .arg(labelledCount)),
                 qPrintable(plain.out));

        // A class the classifier does not know, a label that is no number, no labels at all.
        const cv::Mat one = images.rgb(0);
        const std::string bad = scratch.filePath("bad/0000.png").toStdString();
        std::filesystem::create_directories(scratch.filePath("bad").toStdString());
        io::writePng(bad, one.data, 32, 32, 3, {{"ds.class", "12"}});
        const auto unknown = runCli({"classify", scratch.filePath("bad")});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains(QString::fromStdString(bad) + ": records class 12; the classifier knows 0..9"),
                 qPrintable(unknown.err));
        io::writePng(bad, one.data, 32, 32, 3, {{"ds.class", "Sneaker"}});
        const auto word = runCli({"classify", scratch.filePath("bad")});
        QCOMPARE(word.exitCode, 1);
        QVERIFY2(word.err.contains("its ds.class entry 'Sneaker' is not a class number"), qPrintable(word.err));
        io::writePng(bad, one.data, 32, 32, 3);
        const auto none = runCli({"classify", scratch.filePath("bad")});
        QCOMPARE(none.exitCode, 1);
        QVERIFY2(none.err.contains(scratch.filePath("bad") + ": holds no image recording its class (ds.class)"),
                 qPrintable(none.err));
    }

    // fashion-mnist-test:K (a number or a name) is that class's images of the test set: the
    // same statistics as a folder of exactly those images, written here from the label file.
    void builtinSetsByClassAreThatClassesImages() {
        QTemporaryDir scratch;
        const auto truth = data::FashionMnistSource::readLabels(data::FashionMnistSource::defaultDirectory(), "test");
        const fid::BuiltinReference test("fashion-mnist-test");
        const auto images = test.images();
        const QString folder = scratch.filePath("sneakers");
        std::filesystem::create_directories(folder.toStdString());
        int sneakers = 0;
        for (size_t i = 0; i < truth.size(); ++i)
            if (truth[i] == 7) {
                const cv::Mat rgb = images.rgb(i);
                io::writePng(QString("%1/%2.png").arg(folder).arg(i, 5, 10, QChar('0')).toStdString(), rgb.data, 32, 32,
                             3);
                ++sneakers;
            }
        QCOMPARE(sneakers, 1000);
        const auto distance = [&](const QString& a, const QString& b) {
            const auto r = fid({"--features", "fashion-mnist", a, b, "--json"}, scratch);
            if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
            return QJsonDocument::fromJson(r.out.toUtf8()).object()["distance"].toDouble(-1);
        };
        const double byFolder = distance(folder, "fashion-mnist-test");
        const double byNumber = distance("fashion-mnist-test:7", "fashion-mnist-test");
        const double byName = distance("fashion-mnist-test:Sneaker", "fashion-mnist-test");
        QVERIFY2(byFolder > 1.0, qPrintable(QString::number(byFolder)));  // one class against all ten
        QVERIFY2(std::abs(byNumber - byFolder) <= 1e-6 * byFolder,
                 qPrintable(QString("%1 %2").arg(byNumber).arg(byFolder)));
        QVERIFY2(std::abs(byName - byFolder) <= 1e-6 * byFolder,
                 qPrintable(QString("%1 %2").arg(byName).arg(byFolder)));
        QVERIFY(distance("fashion-mnist-test:Trouser", "fashion-mnist-test:7") > 1.0);

        const auto unknown = fid({"--features", "fashion-mnist", folder, "fashion-mnist-test:Shoe"}, scratch);
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("'fashion-mnist-test:Shoe': no Fashion-MNIST class 'Shoe' (the classes: 0 "
                                      "T-shirt/top, 1 Trouser") &&
                     unknown.err.count('\n') == 1,
                 qPrintable(unknown.err));
    }
};

QTEST_GUILESS_MAIN(TestCliClassifier)
#include "test_cli_classifier.moc"
