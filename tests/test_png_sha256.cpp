// SPDX-License-Identifier: GPL-3.0-or-later
// SHA-256 against the FIPS 180-2 example digests, and PNG writing checked by decoding with
// OpenCV (an independent decoder) plus reading the text chunks back.
#include "core/io/png_file.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeAll(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), std::streamsize(data.size()));
}

// Smooth gradients (so the adaptive filters pick different types) with some noise.
std::vector<uint8_t> testImage(int width, int height, int channels, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> pixels(size_t(width) * height * channels);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < channels; ++c)
                pixels[(size_t(y) * width + x) * channels + c] = uint8_t(x * (c + 1) + y * 3 + (rng() % 7));
    return pixels;
}

// Whether OpenCV decodes `path` to exactly `pixels` (given in RGB(A) order).
bool decodesTo(const std::string& path, const std::vector<uint8_t>& pixels, int width, int height, int channels) {
    const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (image.empty() || image.cols != width || image.rows != height || image.channels() != channels ||
        image.depth() != CV_8U)
        return false;
    for (int y = 0; y < height; ++y) {
        const uint8_t* row = image.ptr<uint8_t>(y);
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < channels; ++c) {
                // OpenCV stores BGR(A): swap red and blue back.
                const int source = (channels >= 3 && c < 3) ? 2 - c : c;
                if (row[x * channels + c] != pixels[(size_t(y) * width + x) * channels + source]) return false;
            }
        }
    }
    return true;
}

bool messageContains(const std::function<void()>& action, const std::string& needle) {
    try {
        action();
    } catch (const ds::Error& e) {
        return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
}

}  // namespace

class TestPngSha256 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A fresh directory per test function, so that tests can count the files left behind.
    void init() {
        tempDir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(tempDir_->isValid());
        dir_ = tempDir_->path().toStdString();
    }

    void sha256KnownDigests() {
        QCOMPARE(ds::sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        QCOMPARE(ds::sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        QCOMPARE(ds::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        QCOMPARE(ds::sha256Hex(std::string(1000000, 'a')),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }

    void sha256IncrementalMatchesOneShot() {
        const std::string message(1000, 'x');
        // Odd piece sizes cross the 64-byte block and 56-byte padding boundaries.
        for (size_t piece : {1, 7, 55, 56, 63, 64, 65, 333}) {
            ds::Sha256 hash;
            for (size_t i = 0; i < message.size(); i += piece)
                hash.update(message.data() + i, std::min(piece, message.size() - i));
            QCOMPARE(hash.hexDigest(), ds::sha256Hex(message));
        }
        // hexDigest resets the object for a new message.
        ds::Sha256 hash;
        hash.update("junk", 4);
        hash.hexDigest();
        hash.update("abc", 3);
        QCOMPARE(hash.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    void sha256File() {
        // Three 1 MiB chunks and a tail; digest computed independently (Python hashlib).
        std::string data(3 * (1u << 20) + 17, '\0');
        for (size_t i = 0; i < data.size(); ++i) data[i] = char((i * 131 + (i >> 11)) & 0xFF);
        const std::string path = dir_ + "/blob.bin";
        writeAll(path, data);
        QCOMPARE(ds::sha256File(path), "33bb046e2974dd7cdc5d702b9500070ca08c0423ed01fc9e13b99741fc1b7cf4");

        const std::string empty = dir_ + "/empty.bin";
        writeAll(empty, "");
        QCOMPARE(ds::sha256File(empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

        const std::string missing = dir_ + "/missing.bin";
        QVERIFY(messageContains([&] { ds::sha256File(missing); }, missing));
    }

    void pngRoundTrip_data() {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("channels");
        QTest::newRow("gray") << 37 << 23 << 1;
        QTest::newRow("rgb") << 64 << 48 << 3;
        QTest::newRow("rgba") << 31 << 17 << 4;
        QTest::newRow("1x1 gray") << 1 << 1 << 1;
        // Noise-heavy and over 1 MiB compressed: several IDAT chunks.
        QTest::newRow("large rgb") << 700 << 600 << 3;
    }

    void pngRoundTrip() {
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(int, channels);
        std::vector<uint8_t> pixels = testImage(width, height, channels, 42);
        if (width * height > 100000) {
            std::mt19937 rng(7);
            for (auto& p : pixels) p = uint8_t(rng());
        }
        const ds::io::PngText text = {
            {"Software", "Diffusion Studio"},
            {"seed", "1234567890"},
            {"prompt", "a caf\xC3\xA9 in \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8C\xB8"},
            {"parameters", "steps: 50\nsampler: ddim"},
            {"empty", ""},
        };
        const std::string path = dir_ + "/image.png";
        ds::io::writePng(path, pixels.data(), width, height, channels, text);

        QVERIFY(decodesTo(path, pixels, width, height, channels));
        QCOMPARE(ds::io::readPngText(path), text);
        // Only the destination is left behind: no temporary file.
        QCOMPARE(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1L);
    }

    void pngUsesITxtOnlyForNonAscii() {
        const std::vector<uint8_t> pixels(4, 128);
        const auto bytes =
            ds::io::encodePng(pixels.data(), 2, 2, 1, {{"ascii", "plain"}, {"utf8", "\xC3\xA9t\xC3\xA9"}});
        const std::string file(bytes.begin(), bytes.end());
        QVERIFY(file.find("tEXtascii") != std::string::npos);
        QVERIFY(file.find("iTXtutf8") != std::string::npos);
        QCOMPARE(file.find("tEXtutf8"), std::string::npos);
        QCOMPARE(file.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0);
    }

    void pngOverwritesExisting() {
        const std::string path = dir_ + "/image.png";
        writeAll(path, "old contents");
        const std::vector<uint8_t> pixels = testImage(8, 8, 3, 1);
        ds::io::writePng(path, pixels.data(), 8, 8, 3, {{"k", "v"}});
        QVERIFY(decodesTo(path, pixels, 8, 8, 3));
    }

    void readTextOfPngWithoutText() {
        // Any PNG, here one OpenCV wrote: no text chunks, and IDAT skipped over.
        const std::string path = dir_ + "/opencv.png";
        cv::Mat image(16, 16, CV_8UC3, cv::Scalar(10, 20, 30));
        QVERIFY(cv::imwrite(path, image));
        QVERIFY(ds::io::readPngText(path).empty());
    }

    void invalidInputsThrow() {
        const std::vector<uint8_t> pixels(64 * 4, 0);
        const std::string path = dir_ + "/bad.png";
        const auto write = [&](int w, int h, int c, const ds::io::PngText& text) {
            return [&, w, h, c, text] { ds::io::writePng(path, pixels.data(), w, h, c, text); };
        };
        QVERIFY(messageContains(write(0, 4, 3, {}), path));
        QVERIFY(messageContains(write(4, 4, 2, {}), path));
        QVERIFY(messageContains(write(4, 4, 3, {{"", "v"}}), path));
        QVERIFY(messageContains(write(4, 4, 3, {{std::string(80, 'k'), "v"}}), "1-79"));
        QVERIFY(messageContains(write(4, 4, 3, {{" lead", "v"}}), "spaces"));
        QVERIFY(messageContains(write(4, 4, 3, {{"caf\xC3\xA9", "v"}}), "ASCII"));
        QVERIFY(messageContains(write(4, 4, 3, {{"k", std::string("a\0b", 3)}}), "NUL"));
        QVERIFY(!fs::exists(path));
        QCOMPARE(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 0L);
    }

    void readNonPngThrows() {
        const std::string path = dir_ + "/text.png";
        writeAll(path, "hello, this is not a PNG file at all");
        QVERIFY(messageContains([&] { ds::io::readPngText(path); }, path));
        const std::string tiny = dir_ + "/tiny.png";
        writeAll(tiny, "\x89PN");
        QVERIFY(messageContains([&] { ds::io::readPngText(tiny); }, tiny));
        const std::string missing = dir_ + "/missing.png";
        QVERIFY(messageContains([&] { ds::io::readPngText(missing); }, missing));
    }

    void readTruncatedPngThrows() {
        const std::vector<uint8_t> pixels = testImage(32, 32, 3, 3);
        const std::string path = dir_ + "/full.png";
        ds::io::writePng(path, pixels.data(), 32, 32, 3, {{"a", "b"}});
        const std::string full = readAll(path);
        // Cut inside a text chunk, inside IDAT, just before IEND and inside IEND.
        for (size_t keep : {size_t(8), size_t(40), full.size() / 2, full.size() - 12, full.size() - 3}) {
            const std::string cut = dir_ + "/cut" + std::to_string(keep) + ".png";
            writeAll(cut, full.substr(0, keep));
            QVERIFY2(messageContains([&] { ds::io::readPngText(cut); }, cut), std::to_string(keep).c_str());
        }
    }

    void readCorruptTextThrows() {
        const std::vector<uint8_t> pixels(4, 0);
        const std::string path = dir_ + "/corrupt.png";
        ds::io::writePng(path, pixels.data(), 2, 2, 1, {{"key", "value"}});
        std::string data = readAll(path);
        const size_t at = data.find("value");
        QVERIFY(at != std::string::npos);
        data[at] = 'V';
        writeAll(path, data);
        QVERIFY(messageContains([&] { ds::io::readPngText(path); }, "CRC"));
    }

    void writeIntoMissingDirectoryThrows() {
        const std::string path = dir_ + "/no/such/dir/image.png";
        const std::vector<uint8_t> pixels(12, 0);
        QVERIFY(messageContains([&] { ds::io::writePng(path, pixels.data(), 2, 2, 3); }, path));
        QCOMPARE(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 0L);
    }

private:
    std::unique_ptr<QTemporaryDir> tempDir_;
    std::string dir_;
};

QTEST_APPLESS_MAIN(TestPngSha256)
#include "test_png_sha256.moc"
