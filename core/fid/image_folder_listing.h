// SPDX-License-Identifier: GPL-3.0-or-later
// The images of a folder as pytorch-fid lists them: not recursive, names ending in .bmp .jpg
// .jpeg .pgm .png .ppm .tif .tiff .webp (lower case: pytorch-fid's glob is case-sensitive),
// sorted by name. The order matters: it fixes which images a batch holds.
#pragma once
#include <string>
#include <vector>

namespace ds::fid {

// Throws ds::Error naming the folder when it cannot be read or holds no such image (the message
// mentions files skipped for their extension's case, the usual surprise).
std::vector<std::string> listFidImages(const std::string& folder);

bool hasFidImageExtension(const std::string& fileName);

}  // namespace ds::fid
