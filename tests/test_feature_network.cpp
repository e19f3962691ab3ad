// SPDX-License-Identifier: GPL-3.0-or-later
// The offline feature network (issue 17): a classifier trained on a subset of Fashion-MNIST
// learns (well above chance on held-out images; a shuffled-label control does not), its file
// reloads to the same features bit for bit, holds only what torch.load(weights_only=True)
// accepts and gives the same features in PyTorch, and the FID engine uses it: a set against
// itself is ~0, Fashion-MNIST train against test is small, against inverted or noise images
// large; the built-in reference enters by the same path as image files; statistics and the
// cache never mix feature spaces.
#include "core/api/feature_network.h"
#include "core/api/fid.h"
#include "core/data/fashion_mnist_source.h"
#include "core/features/classifier_file.h"
#include "core/features/classifier_training.h"
#include "core/fid/builtin_reference.h"
#include "core/fid/feature_extractor.h"
#include "core/fid/fid_stats_file.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/npz_file.h"
#include "core/fid/stats_cache.h"
#include "core/io/png_file.h"
#include "core/io/zip_archive_reader.h"
#include "core/util/error.h"
#include "tests/support/fid_tolerance.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/python_torch.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

using namespace ds;

namespace {

// The classifier's float32 features against another run of the same weights that may sum in
// another order (PyTorch's Python front end, another batch size or kernel), relative to their
// magnitude: its layers sum K = 9, 288, 576 and 1,152 products, ~sqrt(K) float32 epsilons each,
// in quadrature ~45 epsilons; 84 (the U-Net's budget, network_tolerance.h) leaves a margin of 2.
constexpr double kClassifierRelativeTolerance = 84 * test::kFloat32Epsilon;

// A mirrored image: the negative control of a comparison of features (the project's idiom).
torch::Tensor mirrored(const torch::Tensor& images) { return images.flip({3}).contiguous(); }

class QuietSink : public api::JobSink {};

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

// The first `count` images of a built-in set from `begin` as 32x32 gray PNGs (the frame the
// built-in set and our models' samples have), optionally changed pixel by pixel.
void writeSetImages(const std::string& folder, const fid::BuiltinReference& set, int begin, int count,
                    const std::function<uint8_t(uint8_t)>& change = {}) {
    std::filesystem::create_directories(folder);
    const fid::ImageList images = set.images();
    for (int i = 0; i < count; ++i) {
        const cv::Mat rgb = images.rgb(size_t(begin + i));
        std::vector<uint8_t> gray(size_t(rgb.rows) * size_t(rgb.cols));
        for (size_t p = 0; p < gray.size(); ++p) {
            const uint8_t v = rgb.data[3 * p];
            gray[p] = change ? change(v) : v;
        }
        char name[32];
        std::snprintf(name, sizeof name, "/%05d.png", i);
        io::writePng(folder + name, gray.data(), rgb.cols, rgb.rows, 1);
    }
}

void writeNoiseImages(const std::string& folder, int count) {
    std::filesystem::create_directories(folder);
    torch::manual_seed(7);
    for (int i = 0; i < count; ++i) {
        const auto pixels = torch::randint(0, 256, {32, 32}, torch::kInt).to(torch::kUInt8).contiguous();
        char name[32];
        std::snprintf(name, sizeof name, "/%05d.png", i);
        io::writePng(folder + name, pixels.data_ptr<uint8_t>(), 32, 32, 1);
    }
}

}  // namespace

class TestFeatureNetwork : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string tmp(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

    std::optional<fid::BuiltinReference> train_, test_;
    features::ClassifierConfig config_;
    std::optional<features::LabelledImages> trainImages_, heldOut_;
    std::optional<features::FeatureClassifier> net_;
    std::string file_;  // net_ saved

    features::ClassifierTrainOptions smallRun() const {
        features::ClassifierTrainOptions o;
        o.epochs = 2;
        o.batchSize = 32;  // 125 steps
        o.seed = 3;
        return o;
    }

    api::FidResult fd(const std::string& a, const std::string& b, const std::string& cache) const {
        api::FidRequest r;
        r.path1 = a;
        r.path2 = b;
        r.features = file_;
        r.cacheDir = cache;
        r.numWorkers = 2;
        QuietSink sink;
        StopToken stop;
        return api::runFid(r, sink, stop);
    }

    // The Fréchet distance's rounding tolerance of a folder against itself (fid_tolerance.h),
    // from its statistics in this network's features (cached by an earlier call).
    double fdTolerance(const std::string& folder, const std::string& cache) const {
        api::FidRequest r;
        r.path1 = folder;
        r.features = file_;
        r.cacheDir = cache;
        QuietSink sink;
        StopToken stop;
        const std::string out = tmp("tolerance_stats.npz");
        std::filesystem::remove(out);
        api::saveFidStats(r, out, sink, stop);
        const auto stats = fid::readFidStats(out);
        return test::frechetTolerance(stats, stats);
    }

private Q_SLOTS:
    void initTestCase() {
        at::set_num_threads(2);
        try {
            train_.emplace("fashion-mnist-train");
            test_.emplace("fashion-mnist-test");
        } catch (const Error& e) {
            QSKIP(qPrintable(QString("Fashion-MNIST is not installed: ") + e.what()));
        }
        trainImages_ = features::builtinImages(*train_, config_, 2000);
        heldOut_ = features::builtinImages(*test_, config_, 1000);
        net_ = features::trainClassifier(*trainImages_, config_, smallRun(), {}, {}, nullptr);
        file_ = tmp("classifier.pt");
        features::ClassifierRecord record;
        record.config = config_;
        record.classes = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
        record.testAccuracy = features::classifierAccuracy(*net_, *heldOut_);
        record.testImages = heldOut_->size();
        features::writeClassifierFile(file_, *net_, record);

        writeSetImages(tmp("train"), *train_, 0, 600);
        writeSetImages(tmp("test"), *test_, 0, 600);
        writeSetImages(tmp("inverted"), *test_, 0, 600, [](uint8_t v) { return uint8_t(255 - v); });
        writeNoiseImages(tmp("noise"), 600);
    }

    void labelsAreFashionMnists() {
        const auto labels = test_->labels();
        QCOMPARE(labels.size(), size_t(10000));
        std::vector<int> perClass(10, 0);
        for (const uint8_t l : labels) ++perClass.at(l);
        for (const int n : perClass) QCOMPARE(n, 1000);  // the test set is balanced
        QCOMPARE(heldOut_->images.sizes(), (std::vector<int64_t>{1000, 1, 28, 28}));
    }

    void learnsWellAboveChanceAndShuffledLabelsDoNot() {
        const double accuracy = features::classifierAccuracy(*net_, *heldOut_);
        auto shuffled = smallRun();
        shuffled.shuffleLabels = true;
        auto control = features::trainClassifier(*trainImages_, config_, shuffled, {}, {}, nullptr);
        const double controlAccuracy = features::classifierAccuracy(control, *heldOut_);
        qInfo("held-out accuracy %.3f (2000 images, 2 epochs of batch 32); shuffled-label control %.3f", accuracy,
              controlAccuracy);
        QVERIFY2(accuracy > 0.65, qPrintable(QString::number(accuracy)));
        QVERIFY2(controlAccuracy < 0.25, qPrintable(QString::number(controlAccuracy)));
    }

    void savedFileReloadsToTheSameFeatures() {
        const auto file = features::readClassifierFile(file_);
        auto reloaded = features::buildClassifier(file);
        const auto images = heldOut_->images.slice(0, 0, 300);
        const auto before = features::classifierFeatures(*net_, images);
        const auto after = features::classifierFeatures(reloaded, images);
        QCOMPARE(before.sizes(), (std::vector<int64_t>{300, 128}));
        // The same weights, the same kernels, the same batches: bit for bit.
        DS_CHECK_TOLERANCE("feature_network/reloaded_features", test::maxAbsDiff(before, after), 0);
        DS_CHECK_NEGATIVE_CONTROL("feature_network/reloaded_features_of_mirrored_images",
                                  test::maxAbsDiff(before, features::classifierFeatures(reloaded, mirrored(images))), 0,
                                  1);
        QCOMPARE(file.record.config.toJson(), config_.toJson());
        QVERIFY(file.featureSpaceId().rfind("fashion-mnist classifier, 128-d (sha256 ", 0) == 0);
        QCOMPARE(file.sha256.size(), size_t(64));

        // Only the globals torch.load(weights_only=True) allows: OrderedDict and tensor rebuilds.
        const io::ZipArchiveReader zip(file_);
        std::string pickle;
        for (const auto& name : zip.names())
            if (name.size() > 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0) pickle = zip.read(name);
        QVERIFY(!pickle.empty());
        const std::set<std::string> allowed{"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                            "torch.FloatStorage", "torch.LongStorage", "torch.DoubleStorage"};
        // A GLOBAL opcode is 'c' module '\n' name '\n'; the bytes before the opcode may look like
        // a module name too, so a match must end with an allowed name.
        const std::regex global("c([A-Za-z_.]+)\n([A-Za-z_0-9]+)\n");
        const auto endsWithAllowed = [&](const std::string& name) {
            for (const auto& a : allowed)
                if (name.size() >= a.size() && name.compare(name.size() - a.size(), a.size(), a) == 0 &&
                    (name.size() == a.size() || name[name.size() - a.size() - 1] == 'c'))
                    return true;
            return false;
        };
        int globals = 0;
        for (auto it = std::sregex_iterator(pickle.begin(), pickle.end(), global); it != std::sregex_iterator(); ++it) {
            const std::string name = (*it)[1].str() + "." + (*it)[2].str();
            QVERIFY2(endsWithAllowed(name), name.c_str());
            ++globals;
        }
        QVERIFY(globals >= 2);
    }

    // The proof: PyTorch opens the file with weights_only=True (PyTorch 1.13's unpickler, which
    // knows no Python floats), the architecture as docs/feature-networks.md restates it takes
    // the weights strictly, and gives our features.
    void pytorchLoadsItWeightsOnlyAndGivesTheSameFeatures() {
        if (!test::pythonTorchAvailable()) QSKIP("Python's PyTorch is not installed (python3-torch)");
        const auto images = heldOut_->images.slice(0, 0, 300);
        const auto ours = features::classifierFeatures(*net_, images);
        fid::writeNpz(tmp("features.npz"), {{"images", images}, {"mirrored", mirrored(images)}, {"features", ours}});
        const auto run = test::runPython(R"(
import sys, numpy as np, torch
from torch import nn
class FeatureClassifier(nn.Module):
    def __init__(self, widths, feature_dim, classes, dropout, in_channels, size, mean, std):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(w), nn.ReLU()]
            c, size = w, size // 2
        self.blocks = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(c * size * size, feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(float(dropout)), nn.Linear(feature_dim, classes))
        self.mean, self.std = float(mean), float(std)
    def features(self, x):
        return self.embed(self.blocks((x - self.mean) / self.std))
torch.set_num_threads(2)
ckpt = torch.load(sys.argv[1], weights_only=True)
assert ckpt["format"] == "diffusion-studio feature classifier" and ckpt["version"] == 1
a = ckpt["architecture"]
net = FeatureClassifier(a["widths"], a["feature_dim"], a["classes"], a["dropout"], a["input_channels"],
                        a["input_size"], a["input_mean"], a["input_std"])
net.load_state_dict(ckpt["state_dict"], strict=True)
net.eval()
ours = np.load(sys.argv[2])
with torch.no_grad():
    theirs = net.features(torch.from_numpy(ours["images"]).float() / 255).numpy()
    mirrored = net.features(torch.from_numpy(ours["mirrored"]).float() / 255).numpy()
assert ckpt["test_images"] == 1000 and ckpt["feature_dim"] == 128 and len(ckpt["classes"]) == 10
print("features_diff %.9g" % np.abs(theirs - ours["features"]).max())
print("mirrored_diff %.9g" % np.abs(mirrored - ours["features"]).max())
print("accuracy %.17g" % float(ckpt["test_accuracy"]))
)",
                                         {QString::fromStdString(file_), QString::fromStdString(tmp("features.npz"))});
        QVERIFY2(run.finished && run.exitCode == 0, run.output.constData());
        const auto value = [&](const char* key) {
            const auto match = QRegularExpression(QString("^%1 (\\S+)$").arg(key), QRegularExpression::MultilineOption)
                                   .match(QString::fromUtf8(run.output));
            return match.hasMatch() ? match.captured(1).toDouble() : std::nan("");
        };
        const double tol = kClassifierRelativeTolerance * ours.abs().max().item<double>();
        DS_CHECK_TOLERANCE("feature_network/pytorch_features", value("features_diff"), tol);
        DS_CHECK_NEGATIVE_CONTROL("feature_network/pytorch_features_of_mirrored_images", value("mirrored_diff"), tol,
                                  10);
        // The accuracy is stored exactly (a float64 tensor) and read back as written.
        DS_CHECK_TOLERANCE("feature_network/pytorch_test_accuracy",
                           std::abs(value("accuracy") - features::readClassifierFile(file_).record.testAccuracy), 0);
    }

    void aFileThatIsNoClassifierIsRefused() {
        const auto message = errorOf([&] { features::readClassifierFile(test::fixturePath("fid_formula/keys.tsv")); });
        QVERIFY2(message.find("keys.tsv") != std::string::npos, message.c_str());
        fid::writeNpz(tmp("not_a_classifier.npz"), {{"mu", torch::zeros({2}, torch::kDouble)}});
        QVERIFY(!errorOf([&] { features::readClassifierFile(tmp("not_a_classifier.npz")); }).empty());
    }

    void builtinSetEntersLikeImageFiles() {
        // The first 300 test images as 32x32 PNGs and the built-in set's first 300: the same
        // conversion, so the same features bit for bit.
        const auto file = features::readClassifierFile(file_);
        fid::FeatureSpace space{file.featureSpaceId(), file.record.label()};
        const fid::FeatureExtractor extractor(fid::classifierFeatures(features::buildClassifier(file), space),
                                              torch::kCPU, {0, 50, 2, 0});
        auto builtin = test_->images();
        builtin.count = 300;
        const auto fromMemory = extractor.extract(builtin, {}, nullptr);
        std::vector<std::string> files, inverted;
        for (int i = 0; i < 300; ++i) {
            char name[32];
            std::snprintf(name, sizeof name, "/%05d.png", i);
            files.push_back(tmp("test") + name);
            inverted.push_back(tmp("inverted") + name);
        }
        const auto fromFiles = extractor.extract(files, {}, nullptr);
        DS_CHECK_TOLERANCE("feature_network/builtin_vs_png_features", test::maxAbsDiff(fromMemory, fromFiles), 0);
        // And training saw the same pixels.
        const auto trained = features::classifierFeatures(*net_, heldOut_->images.slice(0, 0, 300), 50);
        DS_CHECK_TOLERANCE("feature_network/builtin_vs_training_features", test::maxAbsDiff(fromMemory, trained), 0);
        DS_CHECK_NEGATIVE_CONTROL("feature_network/builtin_vs_inverted_png_features",
                                  test::maxAbsDiff(fromMemory, extractor.extract(inverted, {}, nullptr)), 0, 1);
    }

    void frechetDistanceSeparatesFashionMnistFromOtherImages() {
        const auto cache = tmp("cache-fd");
        const auto self = fd(tmp("train"), tmp("train"), cache);
        const auto trainTest = fd(tmp("train"), tmp("test"), cache);
        const auto inverted = fd(tmp("train"), tmp("inverted"), cache);
        const auto noise = fd(tmp("train"), tmp("noise"), cache);
        qInfo("FD: self %.3g, train-test %.4f, inverted %.2f, noise %.2f", self.fid, trainTest.fid, inverted.fid,
              noise.fid);
        QVERIFY(!self.inception);
        QCOMPARE(self.distanceLabel, std::string("FD (fashion-mnist classifier, 128-d)"));
        QCOMPARE(self.dims, 128);
        const double tol = fdTolerance(tmp("train"), cache);
        DS_CHECK_TOLERANCE("feature_network/fd_self", std::abs(self.fid), tol);
        DS_CHECK_NEGATIVE_CONTROL("feature_network/fd_train_vs_test", trainTest.fid, tol, 10);
        QVERIFY(trainTest.fid > 0);
        QVERIFY2(inverted.fid > 10 * trainTest.fid, qPrintable(QString::number(inverted.fid)));
        QVERIFY2(noise.fid > 10 * trainTest.fid, qPrintable(QString::number(noise.fid)));
        QVERIFY(trainTest.cached1);  // the first call cached the train folder's statistics
    }

    void builtinReferenceIsCachedPerNetwork() {
        const auto cache = tmp("cache-builtin");
        const auto first = fd(tmp("test"), "fashion-mnist-test", cache);
        QCOMPARE(first.count2, int64_t(10000));
        QVERIFY(!first.cached2);
        const auto again = fd(tmp("train"), "fashion-mnist-test", cache);
        QVERIFY(again.cached2);
        // The 600 test images against all 10,000 of them: the same distribution.
        const auto inverted = fd(tmp("inverted"), "fashion-mnist-test", cache);
        QVERIFY2(first.fid * 10 < inverted.fid, qPrintable(QString("%1 vs %2").arg(first.fid).arg(inverted.fid)));
    }

    void statisticsNameTheirFeatureSpace() {
        api::FidRequest r;
        r.path1 = tmp("test");
        r.features = file_;
        r.cacheDir = tmp("cache-stats");
        QuietSink sink;
        StopToken stop;
        const auto saved = api::saveFidStats(r, tmp("test_stats.npz"), sink, stop);
        QCOMPARE(saved.dims, 128);
        const auto space = features::readClassifierFile(file_).featureSpaceId();
        QCOMPARE(fid::readFidStatsSpace(tmp("test_stats.npz")), space);
        QCOMPARE(fid::NpzFile(tmp("test_stats.npz")).text("feature_space"), space);
        const double tol =
            test::frechetTolerance(fid::readFidStats(tmp("test_stats.npz")), fid::readFidStats(tmp("test_stats.npz")));
        DS_CHECK_TOLERANCE("feature_network/fd_folder_vs_its_statistics",
                           std::abs(fd(tmp("test"), tmp("test_stats.npz"), tmp("cache-stats")).fid), tol);
        DS_CHECK_NEGATIVE_CONTROL("feature_network/fd_other_folder_vs_the_statistics",
                                  fd(tmp("train"), tmp("test_stats.npz"), tmp("cache-stats")).fid, tol, 10);

        // Inception statistics (no feature_space, as pytorch-fid writes them) are refused.
        fid::GaussianStats inception{torch::zeros({128}, torch::kDouble), torch::eye(128, torch::kDouble), 0};
        fid::writeFidStats(tmp("inception_128.npz"), inception);
        QCOMPARE(fid::readFidStatsSpace(tmp("inception_128.npz")), std::string(fid::kInceptionSpaceId));
        auto message = errorOf([&] { fd(tmp("test"), tmp("inception_128.npz"), tmp("cache-stats")); });
        QVERIFY2(message.find("inception_128.npz: holds statistics of pytorch-fid's Inception features") !=
                         std::string::npos &&
                     message.find("--features") != std::string::npos,
                 message.c_str());

        // Statistics of another classifier (another sha256) are refused too.
        fid::writeFidStats(tmp("other.npz"), inception, "fashion-mnist classifier, 128-d (sha256 0000000000000000)");
        message = errorOf([&] { fd(tmp("test"), tmp("other.npz"), tmp("cache-stats")); });
        QVERIFY2(message.find("another classifier file made them") != std::string::npos, message.c_str());
        // Two statistics files of different spaces, with no network named: refused.
        api::FidRequest files;
        files.path1 = tmp("test_stats.npz");
        files.path2 = tmp("inception_128.npz");
        message = errorOf([&] { api::runFid(files, sink, stop); });
        QVERIFY2(message.find("distances between two feature spaces mean nothing") != std::string::npos,
                 message.c_str());
    }

    void statsCacheNeverMixesFeatureSpaces() {
        const fid::StatsCache cache(tmp("cache-mix"));
        const fid::GaussianStats stats{torch::ones({4}, torch::kDouble), torch::eye(4, torch::kDouble), 10};
        const std::string key = fid::StatsCache::key({tmp("train/00000.png")}, "same key");
        QVERIFY(cache.store(key, stats, {}).empty());  // Inception's
        QVERIFY(cache.load(key, false).has_value());
        QVERIFY(!cache.load(key, false, "fashion-mnist classifier, 4-d (sha256 1)").has_value());
        QVERIFY(cache.store(key, stats, {}, "fashion-mnist classifier, 4-d (sha256 1)").empty());
        QVERIFY(!cache.load(key, false).has_value());
        QVERIFY(!cache.load(key, false, "fashion-mnist classifier, 4-d (sha256 2)").has_value());
        QVERIFY(cache.load(key, false, "fashion-mnist classifier, 4-d (sha256 1)").has_value());

        // Through the job: an Inception entry under the very key of the classifier's statistics
        // of a folder (as if the keys collided) is not taken for them.
        const auto space = features::readClassifierFile(file_).featureSpaceId();
        const fid::StatsCache jobCache(tmp("cache-collide"));
        const auto folderKey =
            fid::StatsCache::key(fid::listFidImages(tmp("train")), "features=" + space + ";resize=0");
        const fid::GaussianStats bogus{torch::full({128}, 100.0, torch::kDouble), torch::eye(128, torch::kDouble), 600};
        QVERIFY(jobCache.store(folderKey, bogus, {}).empty());
        const auto collided = fd(tmp("train"), tmp("test"), tmp("cache-collide"));
        const auto clean = fd(tmp("train"), tmp("test"), tmp("cache-clean"));
        QVERIFY(!collided.cached1);
        DS_CHECK_TOLERANCE("feature_network/fd_beside_a_colliding_entry", std::abs(collided.fid - clean.fid), 0);
        QCOMPARE(fid::NpzFile(tmp("cache-collide/" + folderKey + ".npz")).text("feature_space"), space);
    }

    void npyTextRoundTrips() {
        for (const std::string& text : {std::string("fashion-mnist classifier, 128-d (sha256 0123)"), std::string(""),
                                        std::string("Fréchet ∆ 😀")}) {
            QCOMPARE(fid::decodeNpyText(fid::encodeNpyText(text), "t"), text);
        }
        // numpy's bytes strings (|S) read too; numbers are no text.
        std::string header = "{'descr': '|S5', 'fortran_order': False, 'shape': (), }";
        header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
        header += '\n';
        const std::string npy = std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xFF) +
                                char(header.size() >> 8) + header + std::string("ab\0\0\0", 5);
        QCOMPARE(fid::decodeNpyText(npy, "t"), std::string("ab"));
        QVERIFY(!errorOf([] { fid::decodeNpyText(fid::encodeNpy(torch::zeros({2})), "t"); }).empty());
    }

    void trainJobWritesTheFileAndCancels() {
        api::ClassifierTrainRequest r;
        r.trainImages = 500;
        r.testImages = 300;
        r.epochs = 1;
        r.out = tmp("job/classifier.pt");
        QuietSink sink;
        StopToken stopped;
        stopped.requestStop();
        bool cancelled = false;
        try {
            api::trainClassifier(r, sink, stopped);
        } catch (const Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QVERIFY(!std::filesystem::exists(r.out));

        StopToken stop;
        const auto result = api::trainClassifier(r, sink, stop);
        QCOMPARE(result.path, r.out);
        QCOMPARE(result.trainImages, int64_t(500));
        QCOMPARE(result.testImages, int64_t(300));
        const auto info = api::inspectClassifier(r.out);
        QCOMPARE(info.testAccuracy, result.testAccuracy);
        QCOMPARE(info.featureDim, 128);
        QCOMPARE(info.featureSpace, result.featureSpace);
        QVERIFY(info.architecture.find("Conv2d(1, ") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestFeatureNetwork)
#include "test_feature_network.moc"
