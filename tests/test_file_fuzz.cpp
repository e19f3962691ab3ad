// SPDX-License-Identifier: GPL-3.0-or-later
// Corruption fuzz of the readers of foreign files other than PyTorch's (those are fuzzed in
// test_torch_io): numpy's .npy arrays inside .npz FID statistics, IDX image files
// (Fashion-MNIST, plain and gzip), PNG text chunks, and training images (OpenCV's decoders,
// then our conversion to the model's size and channels). Every truncation and many byte flips of a
// real file must load or throw ds::Error naming the problem, never crash or throw anything else.
// Built under AddressSanitizer and UBSan (tests/CMakeLists.txt), so an out-of-bounds read or an
// overflow fails the test even where it would not crash.
#include "core/data/idx_file.h"
#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/fid/npz_file.h"
#include "core/io/png_file.h"
#include "core/io/zip_archive_reader.h"
#include "tests/support/corruption_fuzz.h"

#include <QtTest>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

// An idx3-ubyte file of `count` images of rows x columns: big-endian header, then the pixels.
std::string idxBytes(uint32_t count, uint32_t rows, uint32_t columns) {
    std::string bytes;
    for (uint32_t value : {0x00000803u, count, rows, columns})
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((value >> shift) & 0xFF));
    for (uint32_t i = 0; i < count * rows * columns; ++i) bytes.push_back(static_cast<char>(i * 37));
    return bytes;
}

// An attempt for survivesCorruption on a reader that takes a path: each corrupted copy is
// written to `path` and read back from there.
std::function<void(const std::string&)> throughFile(const std::string& path,
                                                    const std::function<void(const std::string&)>& read) {
    return [path, read](const std::string& bytes) {
        writeFile(path, bytes);
        read(path);
    };
}

std::string gzipped(const std::string& path, const std::string& bytes) {
    gzFile out = gzopen(path.c_str(), "wb");
    gzwrite(out, bytes.data(), unsigned(bytes.size()));
    gzclose(out);
    return readFile(path);
}

}  // namespace

class TestFileFuzz : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string tmp(const std::string& name) const { return (fs::path(dir_.path().toStdString()) / name).string(); }

private Q_SLOTS:
    void npyArraysOfFidStatistics_data() {
        QTest::addColumn<QString>("array");
        QTest::addColumn<int>("headerOnly");  // flips within the .npy header (its first 128 bytes)
        QTest::newRow("mu") << "mu.npy" << 0;
        QTest::newRow("mu, header") << "mu.npy" << 128;
        QTest::newRow("sigma, header") << "sigma.npy" << 128;
    }

    void npyArraysOfFidStatistics() {
        QFETCH(QString, array);
        QFETCH(int, headerOnly);
        // pytorch-fid's statistics, written by numpy (np.savez_compressed).
        const ds::io::ZipArchiveReader npz(std::string(DS_TEST_FIXTURES) + "/fid_formula/stats_A_64.npz");
        const std::string npy = npz.read(array.toStdString());
        QCOMPARE(ds::fid::decodeNpy(npy, "original").numel(), array == "mu.npy" ? 64 : 64 * 64);
        ds::test::CorruptionPlan plan;
        plan.flipWithin = size_t(headerOnly);
        plan.truncationStep = array == "sigma.npy" ? 509 : 7;
        const auto failure = ds::test::survivesCorruption(
            npy, [](const std::string& bytes) { ds::fid::decodeNpy(bytes, "fuzz"); }, plan);
        QVERIFY2(failure.empty(), failure.c_str());
    }

    void npzFiles() {
        const auto original = readFile(std::string(DS_TEST_FIXTURES) + "/fid_formula/stats_A_64.npz");
        const auto path = tmp("fuzz.npz");
        ds::test::CorruptionPlan plan;
        plan.truncationStep = 97;
        plan.flippedCopies = 400;
        const auto failure = ds::test::survivesCorruption(original,
                                                          throughFile(path,
                                                                      [](const std::string& file) {
                                                                          const ds::fid::NpzFile npz(file);
                                                                          for (const auto& name : npz.arrayNames())
                                                                              npz.array(name);
                                                                      }),
                                                          plan);
        QVERIFY2(failure.empty(), failure.c_str());
    }

    void idxFiles_data() {
        QTest::addColumn<bool>("gzip");
        QTest::newRow("plain") << false;
        QTest::newRow("gzip") << true;
    }

    void idxFiles() {
        QFETCH(bool, gzip);
        const auto path = tmp(gzip ? "fuzz-idx.gz" : "fuzz-idx");
        const auto plain = idxBytes(3, 4, 4);
        const auto original = gzip ? gzipped(path, plain) : plain;
        writeFile(path, original);
        QCOMPARE(ds::data::readIdxImages(path, 3, 4, 4).pixels.size(), size_t(48));
        ds::test::CorruptionPlan plan;
        plan.truncationStep = 1;
        const auto failure = ds::test::survivesCorruption(
            original,
            throughFile(path,
                        [](const std::string& file) {
                            if (ds::data::readIdxImages(file, 3, 4, 4).pixels.size() != 48)
                                throw std::runtime_error("an IDX file read with the wrong size");
                        }),
            plan);
        QVERIFY2(failure.empty(), failure.c_str());
    }

    // What a training folder may hold: 8-bit gray, 16-bit RGBA, JPEG and WebP, each decoded and
    // converted to the model's size in gray and in RGB.
    void trainingImages_data() {
        QTest::addColumn<QString>("extension");
        QTest::addColumn<int>("type");
        QTest::newRow("png, gray") << ".png" << CV_8UC1;
        QTest::newRow("png, 16-bit RGBA") << ".png" << CV_16UC4;
        QTest::newRow("jpeg") << ".jpg" << CV_8UC3;
        QTest::newRow("webp") << ".webp" << CV_8UC3;
    }

    void trainingImages() {
        QFETCH(QString, extension);
        QFETCH(int, type);
        cv::Mat image(20, 28, type);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255));
        std::vector<uint8_t> encoded;
        QVERIFY(cv::imencode(extension.toStdString(), image, encoded));
        const std::string original(encoded.begin(), encoded.end());
        QCOMPARE(ds::data::prepareImage(ds::data::decodeImage(encoded, "original"), {16, 3}).width, 16);
        ds::test::CorruptionPlan plan;
        plan.truncationStep = 11;
        plan.flippedCopies = 300;
        const auto failure = ds::test::survivesCorruption(
            original,
            [](const std::string& bytes) {
                const auto decoded =
                    ds::data::decodeImage(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "fuzz");
                for (int channels : {1, 3}) {
                    const auto prepared = ds::data::prepareImage(decoded, {16, channels});
                    if (prepared.width != 16 || prepared.height != 16 || prepared.channels != channels)
                        throw std::runtime_error("a corrupted image came out with the wrong shape");
                }
            },
            plan);
        QVERIFY2(failure.empty(), failure.c_str());
    }

    void pngTextChunks() {
        std::vector<uint8_t> pixels(6 * 5 * 3);
        for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i * 11);
        const auto png =
            ds::io::encodePng(pixels.data(), 6, 5, 3, {{"ds.seed", "42"}, {"ds.sampler", "ddim"}, {"Title", "Größe"}});
        const std::string original(png.begin(), png.end());
        const auto path = tmp("fuzz.png");
        writeFile(path, original);
        QCOMPARE(ds::io::readPngText(path).size(), size_t(3));
        ds::test::CorruptionPlan plan;
        plan.truncationStep = 3;
        const auto failure = ds::test::survivesCorruption(
            original, throughFile(path, [](const std::string& file) { ds::io::readPngText(file); }), plan);
        QVERIFY2(failure.empty(), failure.c_str());
    }
};

QTEST_APPLESS_MAIN(TestFileFuzz)
#include "test_file_fuzz.moc"
