// SPDX-License-Identifier: GPL-3.0-or-later
// FID parity with pytorch-fid 0.3.0 (tests/fixtures/fid_formula, weights rebuilt from the
// formula in C++): features of the first four images of A, FID at 2048 dims through the job API
// (with KID, the statistics cache, progress and cancelling), and the errors of bad folders and
// bad weight files. FID at 64 dims and --save-stats run through the CLI in test_cli_fid.
// 200 images pass through the whole network once per run of this executable.
//
// Tolerances. Features: kInceptionRelativeTolerance of their magnitude (Inception v3 is twice as
// deep as the U-Nets, with sums of up to 2,000 products per output). FID: how far it moves when
// every feature moves by that tolerance (measured on the run's own cached features, twice for
// the random direction), plus its float64 arithmetic (tests/support/fid_tolerance.h). Negative
// controls: the images mirrored, covariances normalised by n instead of n - 1.
#include "core/api/fid.h"
#include "core/fid/feature_extractor.h"
#include "core/fid/frechet_distance.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/fid/npz_file.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"
#include "tests/support/error_text.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/fid_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

using namespace ds;
namespace fs = std::filesystem;

namespace {

const std::string kFormula = test::fixturePath("fid_formula/");

// Inception's pool features against pytorch-fid's or another kernel family's, relative to their
// magnitude: 1e-4 (840 float32 epsilons). Measured at most 1.2e-6 (docs/testing.md, "Numerical tolerances").
constexpr double kInceptionRelativeTolerance = 1e-4;
// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

// The features of each folder in a statistics cache (stored there when KID asked for them).
std::vector<torch::Tensor> cachedFeatures(const std::string& dir) {
    std::vector<torch::Tensor> out;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".npz") {
            const fid::NpzFile npz(entry.path().string());
            if (npz.contains("features")) out.push_back(npz.array("features"));
        }
    return out;
}

class RecordingSink : public api::JobSink {
public:
    void onProgress(const api::JobProgress& p) override { progress.push_back(p); }
    std::vector<api::JobProgress> progress;
};

using test::errorOf;

void writePng(const std::string& path, int size, int value) {
    cv::imwrite(path, cv::Mat(size, size, CV_8UC3, cv::Scalar(value, 255 - value, value / 2)));
}

}  // namespace

class TestFidParity : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string weightsPath_;
    std::string tmp(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

    api::FidRequest request(const std::string& a, const std::string& b) const {
        api::FidRequest r;
        r.path1 = a;
        r.path2 = b;
        r.weights = weightsPath_;
        r.cacheDir = tmp("cache");
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        weightsPath_ = tmp("formula.pth");
        test::writeFormulaInceptionWeights(kFormula + "keys.tsv", weightsPath_);
    }

    void featuresOfFirstFourImagesMatch_data() {
        QTest::addColumn<int>("batchSize");
        QTest::newRow("one batch") << 4;
        QTest::newRow("batches of 3 and 1") << 3;
    }
    void featuresOfFirstFourImagesMatch() {
        QFETCH(int, batchSize);
        const auto reference = io::loadTorchFile(kFormula + "features_A_first4.pt");
        const auto expected = reference->at("features").asTensor();
        auto files = fid::listFidImages(kFormula + "images/A");
        files.resize(4);
        for (size_t i = 0; i < 4; ++i)
            QCOMPARE(fs::path(files[i]).filename().string(),
                     fs::path(reference->at("files").asSequence()[i]->asString()).filename().string());

        const fid::FeatureExtractor extractor(fid::loadFidInception(weightsPath_, torch::kCPU), torch::kCPU,
                                              {2048, batchSize, 2, 0});
        const auto features = extractor.extract(files, nullptr, nullptr);
        QCOMPARE(features.sizes(), (torch::IntArrayRef{4, 2048}));
        const double tol = kInceptionRelativeTolerance * test::maxAbs(expected);
        const std::string tag = "fid/features_A_first4_batch" + std::to_string(batchSize);
        DS_CHECK_TOLERANCE(tag, test::maxAbsDiff(features, expected), tol);
        if (batchSize != 4) return;
        // Negative control: the same images mirrored (a wrong preprocessing; these gray images
        // would not see a channel swap).
        std::vector<std::string> mirrored;
        for (size_t i = 0; i < 4; ++i) {
            mirrored.push_back(tmp("mirrored" + std::to_string(i) + ".png"));
            cv::Mat image = cv::imread(files[i], cv::IMREAD_COLOR), flipped;
            cv::flip(image, flipped, 1);
            cv::imwrite(mirrored.back(), flipped);
        }
        DS_CHECK_NEGATIVE_CONTROL(tag + " mirrored",
                                  test::maxAbsDiff(extractor.extract(mirrored, nullptr, nullptr), expected), tol,
                                  kNegativeControlFactor);
    }

    void fid2048MatchesPytorchFidAndIsCached() {
        std::ifstream in(kFormula + "reference.json");
        const double expected = nlohmann::json::parse(in)["fid_2048"];
        auto r = request(kFormula + "images/A", kFormula + "images/B");
        r.kid = true;
        QTemporaryDir cache;  // empty, whatever other tests cached
        r.cacheDir = cache.path().toStdString();
        RecordingSink sink;
        StopToken stop;
        const auto result = api::runFid(r, sink, stop);
        // The tolerance: how far the FID moves when every feature moves by its own tolerance
        // (random signs; twice, for the direction), from the features this run cached, plus its
        // float64 rounding, measured as the run's FID against the same from the cached features
        // with the sides swapped (10x: scipy's sqrtm on these singular covariances is another
        // algorithm).
        const auto features = cachedFeatures(r.cacheDir);
        QCOMPARE(features.size(), size_t(2));
        at::Generator gen = at::detail::createCPUGenerator(11);
        const auto move = [&](const torch::Tensor& f) {
            return f + kInceptionRelativeTolerance * test::maxAbs(f) *
                           (torch::randint(0, 2, f.sizes(), gen, f.options()) * 2 - 1);
        };
        // Which is A's: the one that starts with the reference's features of A's first four images.
        const auto firstFour = io::loadTorchFile(kFormula + "features_A_first4.pt")->at("features").asTensor();
        const bool zeroIsA = test::maxAbsDiff(features[0].slice(0, 0, 4), firstFour) <
                             test::maxAbsDiff(features[1].slice(0, 0, 4), firstFour);
        const auto &fa = features[zeroIsA ? 0 : 1], &fb = features[zeroIsA ? 1 : 0];
        const auto statsOf = [](const torch::Tensor& f) { return fid::GaussianStats::fromFeatures(f); };
        const double swapped = fid::frechetDistance(statsOf(fb), statsOf(fa)).distance;
        const double moved = fid::frechetDistance(statsOf(move(fa)), statsOf(move(fb))).distance;
        const double tol = 2 * std::abs(moved - result.fid) + 10 * std::abs(swapped - result.fid);
        DS_CHECK_TOLERANCE("fid/fid_2048", std::abs(result.fid - expected), tol);
        // Negative control: the wrong second folder (A against itself).
        auto same = r;
        same.path2 = r.path1;
        same.kid = false;
        RecordingSink quiet;
        DS_CHECK_NEGATIVE_CONTROL("fid/fid_2048 of A against A",
                                  std::abs(api::runFid(same, quiet, stop).fid - expected), tol, kNegativeControlFactor);
        QCOMPARE(result.count1, int64_t(100));
        QCOMPARE(result.count2, int64_t(100));
        QCOMPARE(result.dims, 2048);
        QVERIFY(!result.cached1 && !result.cached2);
        QVERIFY(result.hasKid && std::isfinite(result.kid) && result.kidStd >= 0);
        const auto singular = std::count_if(result.warnings.begin(), result.warnings.end(), [](const std::string& w) {
            return w.find("covariance is singular") != std::string::npos;
        });
        QCOMPARE(singular, 2L);

        // Progress in images over both folders, with an ETA.
        QVERIFY(sink.progress.size() >= 4);
        QCOMPARE(sink.progress.back().done, int64_t(200));
        QCOMPARE(sink.progress.back().total, int64_t(200));
        QVERIFY(sink.progress.front().etaSeconds > 0);

        // Second run: both folders' statistics (and features, for KID) come from the cache.
        const auto again = api::runFid(r, sink, stop);
        QVERIFY(again.cached1 && again.cached2);
        QCOMPARE(again.fid, result.fid);
        QCOMPARE(again.kid, result.kid);
    }

    void stopRequestCancels() {
        StopToken stop;
        stop.requestStop();
        RecordingSink sink;
        auto r = request(kFormula + "images/A", kFormula + "images/B");
        r.useCache = false;
        QVERIFY_THROWS_EXCEPTION(Cancelled, api::runFid(r, sink, stop));
    }

    void badFoldersAreClearErrors() {
        fs::create_directories(tmp("one"));
        writePng(tmp("one/a.png"), 28, 1);
        fs::create_directories(tmp("mixed"));
        writePng(tmp("mixed/a.png"), 28, 1);
        writePng(tmp("mixed/b.png"), 32, 2);
        writePng(tmp("mixed/c.png"), 28, 3);
        fs::create_directories(tmp("corrupt"));
        writePng(tmp("corrupt/a.png"), 28, 1);
        std::ofstream(tmp("corrupt/b.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n truncated";
        fs::create_directories(tmp("empty"));

        RecordingSink sink;
        StopToken stop;
        const auto run = [&](const std::string& folder) {
            return errorOf([&] { api::runFid(request(folder, kFormula + "images/B"), sink, stop); });
        };
        QVERIFY(run(tmp("one")).contains("one: holds a single image"));
        QVERIFY(run(tmp("empty")).contains("empty: no images"));
        const auto mixed = run(tmp("mixed"));
        QVERIFY2(mixed.contains("b.png: image is 32x32") && mixed.contains("--resize"), qPrintable(mixed));
        QVERIFY(run(tmp("corrupt")).contains("corrupt/b.png"));
        QVERIFY(run(tmp("nonexistent")).contains("nonexistent: does not exist"));

        auto kid = request(kFormula + "images/A", kFormula + "stats_A_64.npz");
        kid.kid = true;
        QVERIFY(errorOf([&] { api::runFid(kid, sink, stop); }).contains("KID needs"));
    }

    void resizeMakesMixedSizesComparable() {
        fs::create_directories(tmp("mixed-sizes"));
        writePng(tmp("mixed-sizes/a.png"), 28, 1);
        writePng(tmp("mixed-sizes/b.png"), 32, 2);
        writePng(tmp("mixed-sizes/c.png"), 28, 3);
        auto r = request(tmp("mixed-sizes"), tmp("mixed-sizes"));
        r.resize = 30;
        r.dims = 64;
        r.cacheDir = tmp("cache-mixed");  // a cache of its own, to read the statistics back
        RecordingSink sink;
        StopToken stop;
        const auto result = api::runFid(r, sink, stop);
        // A folder against itself: 0 up to the Fréchet distance's own float64 arithmetic (one
        // implementation: half of frechetTolerance).
        std::vector<fid::GaussianStats> cached;
        for (const auto& entry : fs::directory_iterator(r.cacheDir)) {
            const fid::NpzFile npz(entry.path().string());
            cached.push_back({npz.array("mu"), npz.array("sigma"), 0});
        }
        QCOMPARE(cached.size(), size_t(1));
        DS_CHECK_TOLERANCE("fid/self_distance_64", std::abs(result.fid),
                           test::frechetTolerance(cached[0], cached[0]) / 2);
        QVERIFY(QString::fromStdString(result.resizeMode).contains("30x30"));
    }

    void weightsOfTheWrongShapeAreRefused() {
        auto weights = test::formulaInceptionWeights(kFormula + "keys.tsv");
        checkpoint::StateDict altered;
        for (const auto& [name, tensor] : weights.entries())
            altered.add(name, name == "Mixed_6b.branch7x7_2.conv.weight" ? torch::zeros({128, 128, 7, 1}) : tensor);
        io::saveTorchFile(tmp("wrong.pth"), altered.toPyDict());
        const auto error = errorOf([&] { fid::loadFidInception(tmp("wrong.pth"), torch::kCPU); });
        QVERIFY2(error.contains("wrong.pth") && error.contains("Mixed_6b.branch7x7_2.conv.weight") &&
                     error.contains("shape mismatch"),
                 qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestFidParity)
#include "test_fid_parity.moc"
