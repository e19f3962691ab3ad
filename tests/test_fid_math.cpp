// SPDX-License-Identifier: GPL-3.0-or-later
// FID arithmetic and files without the network: .npz statistics (numpy's and ours), the Fréchet
// distance against pytorch-fid's scipy computation, KID against torch-fidelity's, numpy's
// RandomState, the weight file reader (legacy and zip formats), pytorch-fid's folder listing and
// the image decoder's errors. References: tests/tools/make_fid_math_reference.py and
// make_fid_weight_files.py.
//
// Tolerances (tests/support/fid_tolerance.h): the Fréchet distance's float64 eigenvalue errors
// through the square roots, ours and scipy's, plus the rounding of the traces it is a difference
// of; KID's float32 products (against the reference's float64) through its cubic kernel. Float32
// sums (the weight file's check sum) are held to the pairwise-summation bound, ceil(log2 n)
// eps32 of the sum of magnitudes; files and integer draws are exact. Negative controls: means
// moved by 1% of a deviation, features scaled by 1.01.
#include "core/fid/fid_image_decoder.h"
#include "core/fid/fid_inception.h"
#include "core/fid/fid_stats_file.h"
#include "core/fid/frechet_distance.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/fid/kernel_inception_distance.h"
#include "core/fid/npz_file.h"
#include "core/fid/numpy_random_state.h"
#include "core/util/error.h"
#include "tests/support/error_text.h"
#include "tests/support/fid_tolerance.h"
#include "tests/support/opencv_tensors.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace ds;
namespace fs = std::filesystem;

namespace {

const std::string kMath = test::fixturePath("fid_math/");

using test::kFloat64Epsilon;

fid::GaussianStats statsFrom(const fid::NpzFile& npz, const std::string& prefix, int side) {
    const std::string n = std::to_string(side);
    return {npz.array(prefix + "_mu" + n), npz.array(prefix + "_sigma" + n), 0};
}

void writeBytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

using test::errorOf;

// The FID network's input from 8-bit RGB images, as FeatureExtractor::decodeBatch builds it
// (NCHW float / 255), resized to 299 x 299 by the network's first step; only the rows and
// columns `index` are kept, as tests/fixtures/resize stores them.
torch::Tensor fid299(const cv::Mat& rgb, const torch::Tensor& index) {
    const auto images =
        test::tensorOfMat(rgb).unsqueeze(0).permute({0, 3, 1, 2}).to(torch::kFloat).div_(255).contiguous();
    return fid::FidInceptionImpl::resizeToInput(images)[0].index_select(1, index).index_select(2, index);
}

}  // namespace

class TestFidMath : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string tmp(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

private Q_SLOTS:
    void readsPytorchFidStatistics() {
        const auto stats = fid::readFidStats(test::fixturePath("fid_formula/stats_A_64.npz"));
        QCOMPARE(stats.mu.scalar_type(), torch::kDouble);
        QCOMPARE(stats.mu.sizes(), (torch::IntArrayRef{64}));
        QCOMPARE(stats.sigma.sizes(), (torch::IntArrayRef{64, 64}));
        // A covariance: symmetric (numpy's cov takes X X^T as one product: symmetric to the bit, or
        // to an ulp where the two halves are summed apart) with a positive diagonal.
        DS_CHECK_TOLERANCE("fid_math/stats_symmetry", test::maxAbsDiff(stats.sigma, stats.sigma.t()),
                           kFloat64Epsilon * test::maxAbs(stats.sigma));
        QVERIFY(stats.sigma.diagonal().min().item<double>() > 0);
    }

    void writesStatisticsThatReadBack() {
        const auto original = fid::readFidStats(test::fixturePath("fid_formula/stats_A_64.npz"));
        fid::writeFidStats(tmp("stats.npz"), original);
        const auto back = fid::readFidStats(tmp("stats.npz"));
        DS_CHECK_TOLERANCE("fid_math/stats_roundtrip_mu", test::maxAbsDiff(back.mu, original.mu),
                           0.0);  // bytes, not arithmetic
        DS_CHECK_TOLERANCE("fid_math/stats_roundtrip_sigma", test::maxAbsDiff(back.sigma, original.sigma), 0.0);
        // np.savez_compressed deflates: 33 kB of float64 arrays shrink.
        QVERIFY(fs::file_size(tmp("stats.npz")) < 33536);
        const auto error = errorOf([&] { fid::writeFidStats(tmp("stats.npz"), original); });
        QVERIFY2(error.contains("stats.npz") && error.contains("already exists"), qPrintable(error));
    }

    void npyHeaderIsNumpys() {
        const auto bytes = fid::encodeNpy(torch::zeros({3, 2}, torch::kDouble));
        const std::string header = bytes.substr(10, size_t(uint8_t(bytes[8])) | (size_t(uint8_t(bytes[9])) << 8));
        QVERIFY2(header.rfind("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", 0) == 0, header.c_str());
        QCOMPARE((10 + header.size()) % 64, size_t(0));
        QCOMPARE(header.back(), '\n');
        const auto vector = fid::decodeNpy(fid::encodeNpy(torch::arange(5, torch::kFloat)), "v");
        DS_CHECK_TOLERANCE("fid_math/npy_roundtrip", test::maxAbsDiff(vector, torch::arange(5, torch::kFloat)), 0.0);
    }

    void readsFortranOrderAndLucidrainsNames() {
        auto npy = fid::encodeNpy(torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, torch::kDouble).view({3, 2}));
        const auto pos = npy.find("False");
        npy.replace(pos, 5, "True ");
        const auto fortran = fid::decodeNpy(npy, "f");  // the same bytes read column by column
        QCOMPARE(fortran.sizes(), (torch::IntArrayRef{3, 2}));
        QCOMPARE(fortran[0][1].item<double>(), 4.0);
        QCOMPARE(fortran[1][0].item<double>(), 2.0);

        fid::writeNpz(tmp("lucidrains.npz"),
                      {{"m2", torch::ones({4}, torch::kDouble)}, {"s2", torch::eye(4, torch::kDouble)}});
        const auto stats = fid::readFidStats(tmp("lucidrains.npz"));
        QCOMPARE(stats.mu.sum().item<double>(), 4.0);
        QCOMPARE(stats.sigma.trace().item<double>(), 4.0);
    }

    void rejectsStatisticsWithoutMu() {
        fid::writeNpz(tmp("no_mu.npz"), {{"sigma", torch::eye(4, torch::kDouble)}});
        const auto error = errorOf([&] { fid::readFidStats(tmp("no_mu.npz")); });
        QVERIFY2(error.contains("no_mu.npz") && error.contains("'mu'") && error.contains("sigma"), qPrintable(error));

        fid::writeNpz(tmp("bad_shape.npz"), {{"mu", torch::ones({4}, torch::kDouble)}, {"sigma", torch::eye(3)}});
        QVERIFY(errorOf([&] { fid::readFidStats(tmp("bad_shape.npz")); }).contains("bad_shape.npz"));
        writeBytes(tmp("text.npz"), "not a zip archive at all, just some text of sufficient length");
        QVERIFY(errorOf([&] { fid::readFidStats(tmp("text.npz")); }).contains("text.npz"));
        QVERIFY(errorOf([&] {
                    fid::decodeNpy(fid::encodeNpy(torch::ones({4})).substr(0, 70), "cut.npy");
                }).contains("cut.npy"));
    }

    void frechetDistanceMatchesScipy_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("full rank, 64 dims") << "full";
        // 40 samples in 96 dims: singular covariances, where scipy's sqrtm itself is approximate.
        QTest::newRow("singular, 96 dims") << "singular";
    }
    void frechetDistanceMatchesScipy() {
        QFETCH(QString, name);
        const fid::NpzFile npz(kMath + "reference.npz");
        const std::string prefix = name.toStdString();
        const auto a = statsFrom(npz, prefix, 1), b = statsFrom(npz, prefix, 2);
        const auto result = fid::frechetDistance(a, b);
        const double reference = npz.array(prefix + "_fid").item<double>();
        const double tol = test::frechetTolerance(a, b);
        DS_CHECK_TOLERANCE("fid_math/frechet_" + prefix, std::abs(result.distance - reference), tol);
        QVERIFY(result.warnings.empty());
        // Negative control: the same statistics with the means moved by 1% of their spread.
        auto moved = b;
        moved.mu = b.mu + 0.01 * b.sigma.diagonal().sqrt();
        DS_CHECK_NEGATIVE_CONTROL("fid_math/frechet_" + prefix + " with means moved by 1% of a deviation",
                                  std::abs(fid::frechetDistance(a, moved).distance - reference), tol, 10.0);
    }

    void frechetDistanceOfIdenticalStatisticsIsZero() {
        const fid::NpzFile npz(kMath + "reference.npz");
        // Singular covariances (40 samples, 96 dims): zero eigenvalues come out as +-1e-16 round-off,
        // whose square roots add up; scipy's sqrtm gives -2.6e-6 here.
        const auto a = statsFrom(npz, "singular", 1);
        const double distance = fid::frechetDistance(a, a).distance;
        // Our side of frechetTolerance only (the exact answer is 0, no scipy).
        DS_CHECK_TOLERANCE("fid_math/frechet_identical_singular", std::abs(distance), test::frechetTolerance(a, a) / 2);
    }

    void frechetDistanceRejectsBadStatistics() {
        const fid::GaussianStats a{torch::zeros({4}, torch::kDouble), torch::eye(4, torch::kDouble), 0};
        const fid::GaussianStats b{torch::zeros({3}, torch::kDouble), torch::eye(3, torch::kDouble), 0};
        QVERIFY(errorOf([&] { fid::frechetDistance(a, b); }).contains("different dimensions (4 and 3)"));
        const fid::GaussianStats negative{torch::zeros({4}, torch::kDouble), -torch::eye(4, torch::kDouble), 0};
        QVERIFY(errorOf([&] { fid::frechetDistance(a, negative); }).contains("imaginary component"));
        const fid::GaussianStats nan{torch::full({4}, NAN, torch::kDouble), torch::eye(4, torch::kDouble), 0};
        QVERIFY(errorOf([&] { fid::frechetDistance(a, nan); }).contains("NaN"));
    }

    void gaussianStatsAreNumpys() {
        const auto x = torch::tensor({1.0, 2.0, 3.0, 5.0, 4.0, 9.0}, torch::kDouble).view({3, 2});
        const auto stats = fid::GaussianStats::fromFeatures(x);
        QCOMPARE(stats.mu[0].item<double>(), 8.0 / 3.0);
        QCOMPARE(stats.sigma[0][0].item<double>(),
                 (std::pow(1 - 8.0 / 3, 2) + std::pow(3 - 8.0 / 3, 2) + std::pow(4 - 8.0 / 3, 2)) / 2);  // n - 1
        QVERIFY(errorOf([] { fid::GaussianStats::fromFeatures(torch::ones({1, 5})); }).contains("at least two"));
    }

    void numpyRandomStateMatchesNumpy() {
        const fid::NpzFile npz(kMath + "reference.npz");
        const auto expected = npz.array("permutation_2020_1000");
        const auto permutation = fid::NumpyRandomState(2020).permutation(1000);
        // Integers from the same Mersenne Twister: exact.
        DS_CHECK_TOLERANCE("fid_math/permutation", test::maxAbsDiff(torch::tensor(permutation), expected), 0.0);

        fid::NumpyRandomState rng(2020);
        auto choices = rng.choiceWithoutReplacement(120, 50);
        const auto second = rng.choiceWithoutReplacement(90, 50);
        choices.insert(choices.end(), second.begin(), second.end());
        DS_CHECK_TOLERANCE("fid_math/choice",
                           test::maxAbsDiff(torch::tensor(choices), npz.array("choice_2020_120_50_twice")), 0.0);
    }

    void kidMatchesTorchFidelity() {
        const fid::NpzFile npz(kMath + "reference.npz");
        fid::KidOptions options;
        options.subsets = 10;
        options.subsetSize = 50;
        const auto kid = fid::kernelInceptionDistance(npz.array("kid_f1"), npz.array("kid_f2"), options);
        const double tol = test::kidTolerance(npz.array("kid_f1"), npz.array("kid_f2"));
        DS_CHECK_TOLERANCE("fid_math/kid_mean", std::abs(kid.mean - npz.array("kid_mean").item<double>()), tol);
        DS_CHECK_TOLERANCE("fid_math/kid_std", std::abs(kid.std - npz.array("kid_std").item<double>()), tol);
        QVERIFY(kid.warnings.empty());
        // Negative control: the second side's features scaled by 1.01.
        const auto scaled = fid::kernelInceptionDistance(npz.array("kid_f1"), npz.array("kid_f2") * 1.01, options);
        DS_CHECK_NEGATIVE_CONTROL("fid_math/kid_mean with features x 1.01",
                                  std::abs(scaled.mean - npz.array("kid_mean").item<double>()), tol, 10.0);

        options.subsets = 5;
        options.subsetSize = 1000;  // capped at the 90 of the smaller side
        const auto capped = fid::kernelInceptionDistance(npz.array("kid_f1"), npz.array("kid_f2"), options);
        QCOMPARE(capped.subsetSize, int64_t(90));
        DS_CHECK_TOLERANCE("fid_math/kid_capped_mean",
                           std::abs(capped.mean - npz.array("kid_capped_mean").item<double>()), tol);
        DS_CHECK_TOLERANCE("fid_math/kid_capped_std", std::abs(capped.std - npz.array("kid_capped_std").item<double>()),
                           tol);
        QCOMPARE(capped.warnings.size(), size_t(1));
    }

    void weightReaderReadsLegacyAndZipFormats() {
        const auto legacy = fid::readInceptionStateDict(kMath + "first_layer_legacy.pth");
        const auto zip = fid::readInceptionStateDict(kMath + "first_layer_zip.pth");
        QCOMPARE(legacy.size(), size_t(6));
        QCOMPARE(zip.size(), legacy.size());
        for (size_t i = 0; i < legacy.size(); ++i) {
            QCOMPARE(zip.entries()[i].first, legacy.entries()[i].first);
            DS_CHECK_TOLERANCE("fid_math/weights_zip_vs_legacy/" + zip.entries()[i].first,
                               test::maxAbsDiff(zip.entries()[i].second, legacy.entries()[i].second), 0.0);
        }
        QCOMPARE(legacy.shape("Conv2d_1a_3x3.conv.weight"), (std::vector<int64_t>{32, 3, 3, 3}));
        QCOMPARE(legacy.at("Conv2d_1a_3x3.bn.num_batches_tracked").item<int64_t>(), int64_t(7));
        // Python's float32 sum of the conv weight (make_fid_weight_files.py prints it): another
        // summation order, within the pairwise bound ceil(log2 n) eps32 sum |w|.
        const auto& w = legacy.at("Conv2d_1a_3x3.conv.weight");
        DS_CHECK_TOLERANCE(
            "fid_math/weight_sum", std::abs(w.sum().item<double>() - 1.5281193256378174),
            std::ceil(std::log2(double(w.numel()))) * test::kFloat32Epsilon * w.abs().sum().item<double>());

        // One layer is not the network: a strict load names the file and what is missing.
        const auto error = errorOf([&] { fid::loadFidInception(kMath + "first_layer_legacy.pth", torch::kCPU); });
        QVERIFY2(error.contains("first_layer_legacy.pth") && error.contains("missing"), qPrintable(error));
    }

    void missingWeightsSayWhereToGetThem() {
        QTemporaryDir hub;
        qputenv("TORCH_HOME", hub.path().toUtf8());
        const auto error = errorOf([] { fid::locateInceptionWeights("", ""); });
        QVERIFY2(error.contains(fid::kInceptionWeightsUrl) && error.contains(hub.path() + "/hub/checkpoints"),
                 qPrintable(error));
        QVERIFY(errorOf([] { fid::locateInceptionWeights("/nonexistent/w.pth", ""); }).contains("/nonexistent/w.pth"));

        const std::string cached = hub.path().toStdString() + "/hub/checkpoints/" + fid::kInceptionWeightsName;
        fs::create_directories(fs::path(cached).parent_path());
        writeBytes(cached, "x");
        QCOMPARE(fid::locateInceptionWeights("", "/no/such/setting.pth"), cached);
        QCOMPARE(fid::locateInceptionWeights("", kMath + "first_layer_zip.pth"), kMath + "first_layer_zip.pth");
        qunsetenv("TORCH_HOME");
    }

    void listsFolderLikePytorchFid() {
        const std::string folder = tmp("listing");
        fs::create_directories(folder + "/sub.png");
        for (const char* name : {"b.png", "a.jpg", "c.PNG", "d.txt", "e.webp", ".hidden.png"})
            writeBytes(folder + "/" + name, "x");
        writeBytes(folder + "/sub.png/f.png", "x");
        const auto files = fid::listFidImages(folder);
        QCOMPARE(files.size(), size_t(4));
        QCOMPARE(fs::path(files[0]).filename().string(), std::string(".hidden.png"));
        QCOMPARE(fs::path(files[1]).filename().string(), std::string("a.jpg"));
        QCOMPARE(fs::path(files[3]).filename().string(), std::string("e.webp"));
    }

    void emptyOrImagelessFoldersAreClearErrors() {
        fs::create_directories(tmp("empty"));
        QVERIFY(errorOf([&] { fid::listFidImages(tmp("empty")); }).contains("empty: no images"));
        fs::create_directories(tmp("upper"));
        writeBytes(tmp("upper/A.PNG"), "x");
        writeBytes(tmp("upper/notes.txt"), "x");
        QVERIFY(errorOf([&] { fid::listFidImages(tmp("upper")); }).contains("upper-case extension"));
        QVERIFY(errorOf([&] { fid::listFidImages(tmp("missing")); }).contains("missing: not a folder"));
    }

    void decoderNamesBadFiles() {
        writeBytes(tmp("text.png"), "this is not an image");
        QVERIFY(errorOf([&] { fid::decodeFidImage(tmp("text.png")); }).contains("text.png"));
        cv::Mat image(28, 28, CV_8UC3, cv::Scalar(10, 20, 30));
        std::vector<uint8_t> png;
        cv::imencode(".png", image, png);
        writeBytes(tmp("truncated.png"), std::string(png.begin(), png.begin() + long(png.size() / 2)));
        const auto error = errorOf([&] { fid::decodeFidImage(tmp("truncated.png")); });
        QVERIFY2(error.contains("truncated.png"), qPrintable(error));
        writeBytes(tmp("zero.png"), "");
        QVERIFY(errorOf([&] { fid::decodeFidImage(tmp("zero.png")); }).contains("zero.png: empty file"));
    }

    void decoderConvertsLikePilRgb() {
        cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(10, 20, 30, 0));  // fully transparent: PIL drops alpha
        cv::imwrite(tmp("alpha.png"), bgra);
        const auto rgb = fid::decodeFidImage(tmp("alpha.png"));
        QCOMPARE(rgb.channels(), 3);
        QCOMPARE(int(rgb.at<cv::Vec3b>(0, 0)[0]), 30);  // R first
        cv::Mat gray(2, 2, CV_8UC1, cv::Scalar(77));
        cv::imwrite(tmp("gray.pgm"), gray);
        const auto fromPgm = fid::decodeFidImage(tmp("gray.pgm"));
        QCOMPARE(int(fromPgm.at<cv::Vec3b>(1, 1)[2]), 77);
    }

    // FID's image path against tests/fixtures/resize (python3-opencv 4.6.0, PIL and torch 1.13):
    // the decoder equals both our OpenCV restatement and pytorch-fid's PIL .convert('RGB'),
    // --resize S equals cv2.resize with the same flags, and the network's bilinear 299 x 299
    // resize equals pytorch-fid's F.interpolate.
    void fidImagePathMatchesOpenCvAndPytorchFid() {
        const std::string dir = test::fixturePath("resize/");
        const fid::NpzFile npz(dir + "expected.npz");
        std::ifstream manifestFile(dir + "manifest.json");
        const auto manifest = nlohmann::json::parse(manifestFile);
        const auto index = npz.array("fid299_index");
        QCOMPARE(index.size(0), int64_t(37));
        c10::InferenceMode guard;
        int resizes = 0;
        for (const auto& entry : manifest["fid"]) {
            const std::string name = entry["input"].get<std::string>();
            const cv::Mat rgb = fid::decodeFidImage(dir + manifest["inputs"][name]["file"].get<std::string>());
            // Colour conversions without arithmetic (gray replicated, alpha dropped): exact.
            DS_CHECK_TOLERANCE("resize/fid_rgb_cv__" + name,
                               test::maxAbsDiff(test::tensorOfMat(rgb), npz.array("fid_rgb_cv__" + name)), 0.0);
            DS_CHECK_TOLERANCE("resize/fid_rgb_pil__" + name,
                               test::maxAbsDiff(test::tensorOfMat(rgb), npz.array("fid_rgb_pil__" + name)), 0.0);
            // Values in [0, 1]: 1e-6 is 8 float32 ulps at 1, room for the order in which a
            // vectorised kernel sums the 4 bilinear taps (NCHW here, pytorch-fid's permuted NHWC).
            const double tol299 = 1e-6;
            DS_CHECK_TOLERANCE("resize/fid299__" + name,
                               test::maxAbsDiff(fid299(rgb, index), npz.array("fid299__" + name)), tol299);
            for (const auto& resize : entry["resize"]) {
                const int size = resize["size"].get<int>();
                const std::string key = name + "__r" + std::to_string(size);
                const cv::Mat resized = fid::resizeSquare(rgb, size);
                // INTER_LINEAR on 8-bit images is OpenCV's bit-exact fixed-point path; INTER_AREA
                // sums float weights, whose rounding of an exact .5 may differ by one level
                // between targets (SIMD dispatch, FMA contraction): 1 level there.
                const double tol = resize["interpolation"].get<std::string>() == "INTER_AREA" ? 1.0 : 0.0;
                DS_CHECK_TOLERANCE("resize/fid_resize__" + key,
                                   test::maxAbsDiff(test::tensorOfMat(resized), npz.array("fid_resize__" + key)), tol);
                // The reference interpolates its own fid_resize array: compare from the same input.
                auto referenceArray = npz.array("fid_resize__" + key).contiguous();
                const cv::Mat reference(size, size, CV_8UC3, referenceArray.data_ptr<uint8_t>());
                DS_CHECK_TOLERANCE("resize/fid299_resized__" + key,
                                   test::maxAbsDiff(fid299(reference, index), npz.array("fid299_resized__" + key)),
                                   tol299);
                ++resizes;
            }
        }
        QCOMPARE(resizes, 7);
    }
};

QTEST_GUILESS_MAIN(TestFidMath)
#include "test_fid_math.moc"
