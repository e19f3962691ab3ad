// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lsun_naming.h"

namespace ds::lmdb {
namespace {

constexpr size_t kMaxKeyLength = 200;  // leaves room for an extension within NAME_MAX (255)
constexpr size_t kNestedLevels = 6;    // fyu/lsun: '/'.join(key[:6])

bool isSafeCharacter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

// Printable for a report: odd bytes as \xNN.
std::string printable(std::string_view key) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (const char c : key.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    if (key.size() > 64) out += "...";
    return out;
}

}  // namespace

std::string keyProblem(std::string_view key) {
    if (key.empty()) return "empty key";
    if (key.size() > kMaxKeyLength)
        return "key \"" + printable(key) + "\" is longer than " + std::to_string(kMaxKeyLength) + " characters";
    for (size_t i = 0; i < key.size(); ++i) {
        if (!isSafeCharacter(key[i]))
            return "key \"" + printable(key) + "\" has a character unsafe in a file name at position " +
                   std::to_string(i);
        if (key[i] == '.' && i < kNestedLevels)
            return "key \"" + printable(key) + "\" has a '.' among its first six characters (folder names)";
    }
    return {};
}

std::string exportRelativePath(std::string_view key, ExportLayout layout, std::string_view extension) {
    std::string path;
    if (layout == ExportLayout::Nested) {
        for (size_t i = 0; i < kNestedLevels && i < key.size(); ++i) {
            path += key[i];
            path += '/';
        }
    }
    path.append(key);
    path += '.';
    path.append(extension);
    return path;
}

const char* fileExtensionFor(data::ImageFormat format) {
    switch (format) {
    case data::ImageFormat::Jpeg: return "jpg";
    case data::ImageFormat::Png: return "png";
    case data::ImageFormat::WebP: return "webp";
    case data::ImageFormat::Bmp: return "bmp";
    case data::ImageFormat::Tiff: return "tif";
    case data::ImageFormat::Unknown: break;
    }
    return "bin";
}

}  // namespace ds::lmdb
