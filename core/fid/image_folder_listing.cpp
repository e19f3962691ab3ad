// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/image_folder_listing.h"

#include "core/util/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

namespace ds::fid {

namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 9> kExtensions = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"};

std::string extensionOf(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? std::string() : name.substr(dot + 1);
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool isKnownExtension(const std::string& extension) {
    return std::any_of(kExtensions.begin(), kExtensions.end(), [&](const char* e) { return extension == e; });
}

}  // namespace

bool hasFidImageExtension(const std::string& fileName) { return isKnownExtension(extensionOf(fileName)); }

std::vector<std::string> listFidImages(const std::string& folder) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw fileError(folder, "not a folder");
    std::vector<std::string> files;
    size_t wrongCase = 0;
    fs::directory_iterator it(folder, ec), end;
    if (ec) throw fileError(folder, "cannot list: " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) throw fileError(folder, "cannot list: " + ec.message());
        const std::string name = it->path().filename().string();
        if (it->is_directory(ec)) continue;
        if (hasFidImageExtension(name)) files.push_back(it->path().string());
        else if (isKnownExtension(lowercase(extensionOf(name)))) ++wrongCase;
    }
    if (files.empty()) {
        std::string problem =
            "no images (FID reads *.bmp, *.jpg, *.jpeg, *.pgm, *.png, *.ppm, *.tif, *.tiff, *.webp, "
            "not recursively, as pytorch-fid does)";
        if (wrongCase > 0)
            problem += "; " + std::to_string(wrongCase) +
                       " files have an upper-case extension, which pytorch-fid "
                       "does not list either: rename them";
        throw fileError(folder, problem);
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace ds::fid
