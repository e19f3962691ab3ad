// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/lmdb_fixture.h"

#include "core/lmdb/lmdb_writer.h"
#include "core/util/sha256.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace ds::test {
namespace fs = std::filesystem;

cv::Mat testPicture(int width, int height, int seed, bool gray) {
    cv::RNG rng(uint64_t(seed) + 17);
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar((x * 255) / std::max(1, width - 1)),
                                                  uchar((y * 255) / std::max(1, height - 1)), uchar(seed * 37));
    cv::circle(image, {rng.uniform(0, width), rng.uniform(0, height)}, std::max(2, width / 4),
               cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED);
    if (!gray) return image;
    cv::Mat g;
    cv::cvtColor(image, g, cv::COLOR_BGR2GRAY);
    return g;
}

std::string encodeImage(const std::string& extension, const cv::Mat& image, const std::vector<int>& params) {
    std::vector<uchar> bytes;
    cv::imencode(extension, image, bytes, params);
    return std::string(bytes.begin(), bytes.end());
}

std::string lsunKey(int n) { return sha256Hex("entry " + std::to_string(n)).substr(0, 40); }

void writeLmdb(const std::string& dir, const std::vector<LmdbEntry>& entries) {
    size_t bytes = 0;
    for (const auto& e : entries) bytes += e.value.size() + e.key.size();
    lmdb::LmdbWriter writer(dir, bytes * 4 + (1u << 20));
    for (const auto& e : entries) writer.put(e.key, e.value);
    writer.commit();
}

MixedEntries mixedEntries() {
    const std::vector<int> jpeg75{cv::IMWRITE_JPEG_QUALITY, 75};
    MixedEntries m;
    int n = 0;
    const auto add = [&](std::string value, bool decodable) {
        m.all.push_back({lsunKey(n++), std::move(value)});
        if (decodable) m.good.push_back(m.all.back());
        return m.all.back().key;
    };
    add(encodeImage(".jpg", testPicture(64, 48, 1), jpeg75), true);
    add(encodeImage(".jpg", testPicture(48, 72, 2), jpeg75), true);
    add(encodeImage(".jpg", testPicture(50, 50, 3, /*gray=*/true), jpeg75), true);
    add(encodeImage(".jpg", testPicture(24, 20, 4), jpeg75), true);  // enlarged at size 32
    add(encodeImage(".jpg", testPicture(90, 40, 5), jpeg75), true);
    add(encodeImage(".jpg", testPicture(40, 40, 6), jpeg75), true);
    for (int i = 0; i < 4; ++i) add(encodeImage(".webp", testPicture(56 + 8 * i, 40, 10 + i)), true);
    const std::string whole = encodeImage(".jpg", testPicture(64, 64, 20), jpeg75);
    m.truncatedKey = add(whole.substr(0, whole.size() / 2), false);
    m.emptyKey = add(std::string(), false);
    const auto byKey = [](const LmdbEntry& a, const LmdbEntry& b) { return a.key < b.key; };
    std::sort(m.all.begin(), m.all.end(), byKey);
    std::sort(m.good.begin(), m.good.end(), byKey);
    return m;
}

std::vector<LmdbEntry> cleanEntries(int count) {
    std::vector<LmdbEntry> entries;
    for (int i = 0; i < count; ++i)
        entries.push_back({lsunKey(1000 + i), encodeImage(".jpg", testPicture(40, 32, 100 + i))});
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return entries;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> listFiles(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) files.push_back(fs::relative(it->path(), dir).string());
    std::sort(files.begin(), files.end());
    return files;
}

std::map<std::string, std::string> hashFolder(const std::string& dir) {
    std::map<std::string, std::string> hashes;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file()) hashes[entry.path().filename().string()] = sha256File(entry.path().string());
    return hashes;
}

}  // namespace ds::test
