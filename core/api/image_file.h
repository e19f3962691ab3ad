// SPDX-License-Identifier: GPL-3.0-or-later
// Images on disk for the CLI and the UI: PNGs that carry the settings that made them (seed,
// sampler, checkpoint hash...; see docs/architecture.md) as text chunks. Torch-free.
#pragma once
#include "core/api/image.h"

#include <string>
#include <utility>
#include <vector>

namespace ds::api {

// (key, value) pairs in file order: "ds.seed" -> "42", ...
using ImageMetadata = std::vector<std::pair<std::string, std::string>>;

// Writes a PNG atomically (complete or absent); throws ds::Error naming the file.
void writeImagePng(const std::string& path, const Image& image, const ImageMetadata& metadata);

// The text metadata of a PNG; throws ds::Error naming the file when it is not a readable PNG.
ImageMetadata readImageMetadata(const std::string& path);

// The value of `key`, or `fallback` when absent.
std::string metadataValue(const ImageMetadata& metadata, const std::string& key, const std::string& fallback = {});

}  // namespace ds::api
