// SPDX-License-Identifier: GPL-3.0-or-later
// File names of exported LMDB entries, as fyu/lsun's `data.py export` makes them: the key is
// the file name; `--flat` writes <out>/<key>.webp, otherwise the key's first six characters
// become six nested folders, <out>/k0/k1/k2/k3/k4/k5/<key>.webp (the extension is always .webp
// there, whatever the bytes are; we can name the real format instead).
#pragma once
#include "core/data/image_format.h"

#include <string>
#include <string_view>

namespace ds::lmdb {

enum class ExportLayout { Flat, Nested };

// Why `key` cannot become a file name, or "" when it can. LSUN keys (ASCII hex) always can.
// Allowed: 1..200 characters of A-Z a-z 0-9 _ - . with no '.' among the first six (they become
// folder names in the nested layout, so "." or ".." there would climb out of the output folder)
// - so no separators, control bytes, hidden files or names that differ by encoding.
std::string keyProblem(std::string_view key);

// The path of `key`'s file below the output folder; `extension` without the dot.
// The key must have passed keyProblem().
std::string exportRelativePath(std::string_view key, ExportLayout layout, std::string_view extension);

// "jpg", "png", "webp", "bmp", "tif" for the recognised formats; "bin" for Unknown.
const char* fileExtensionFor(data::ImageFormat format);

}  // namespace ds::lmdb
