// SPDX-License-Identifier: GPL-3.0-or-later
// What every sampling job writes, whatever the model family: numbered PNGs with metadata, a
// grid, the checks that fail before minutes of sampling rather than after.
#pragma once
#include "core/api/sampling.h"
#include "core/io/png_file.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ds::jobs {

// The checks every family shares (--num, --batch-size); throws ds::Error.
void validateSampleRequest(const api::SampleRequest& r);

// x at the start of sampling, (N, C, H, W) on the CPU: read from --init-noise (its shape
// checked, the file named in errors) or drawn from `gen`.
torch::Tensor initialNoise(const api::SampleRequest& r, int64_t channels, int64_t imageSize, at::Generator& gen);

// "00042.png"
std::string numberedSampleName(int index);

// Creates the folder and refuses to overwrite earlier samples (nothing is lost).
void prepareSampleOutDir(const std::string& dir, int count);

// Fails early when an output file cannot be written: a folder given, or a missing parent.
void checkOutputFile(const std::string& path);

// The text chunks of a sample PNG (see docs/architecture.md): the common entries around the
// family-specific ones (sampler/steps/eta, or solver/steps/tolerances).
io::PngText samplePngText(const api::SampleRequest& r, const std::string& checkpointSha,
                          const std::vector<std::pair<std::string, std::string>>& familyEntries, int64_t imageSize,
                          int64_t count, int index);

// A (C, H, W) image in [0, 1] as a PNG with metadata.
void writeSamplePng(const std::string& path, const torch::Tensor& chw01, const io::PngText& text);

// Writes images[i] as outDir/numbered(firstIndex + i) and appends the paths to `files`.
void writeNumberedSamples(const api::SampleRequest& r, const torch::Tensor& images, int64_t firstIndex,
                          const std::function<io::PngText(int index)>& metadata, std::vector<std::string>& files);

}  // namespace ds::jobs
