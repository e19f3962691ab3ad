// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: small LSUN-like LMDBs built in the test itself (liblmdb + OpenCV encoders).
#pragma once
#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <vector>

namespace ds::test {

// One entry: its key and the value bytes stored under it.
struct LmdbEntry {
    std::string key;
    std::string value;
};

// A test picture of the given size (BGR or gray), different for every `seed`.
cv::Mat testPicture(int width, int height, int seed, bool gray = false);

// OpenCV's encoding of `image` (".jpg", ".webp", ".png") as bytes.
std::string encodeImage(const std::string& extension, const cv::Mat& image, const std::vector<int>& params = {});

// 40 hex digits, as LSUN's keys, derived from `n`.
std::string lsunKey(int n);

// Writes the entries into a new LMDB folder `dir` (data.mdb + lock.mdb).
void writeLmdb(const std::string& dir, const std::vector<LmdbEntry>& entries);

// An LSUN-like mix: 6 JPEGs (quality 75; one gray, one smaller than 32 px), 4 WebPs, a
// truncated JPEG and an empty value.
struct MixedEntries {
    std::vector<LmdbEntry> all;   // in key order
    std::vector<LmdbEntry> good;  // the 10 decodable ones, in key order
    std::string truncatedKey;
    std::string emptyKey;
};
MixedEntries mixedEntries();

// `count` clean JPEG entries of 40x32 pixels.
std::vector<LmdbEntry> cleanEntries(int count);

// The whole file as bytes ("" when missing).
std::string readFile(const std::string& path);

// Every regular file below `dir` (relative paths, sorted), hidden ones included.
std::vector<std::string> listFiles(const std::string& dir);

// SHA-256 of every file in `dir` (not recursive), by name.
std::map<std::string, std::string> hashFolder(const std::string& dir);

}  // namespace ds::test
