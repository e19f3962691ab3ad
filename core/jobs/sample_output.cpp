// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/jobs/sample_output.h"

#include "core/io/image_tensor.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"

#include <cstdio>
#include <filesystem>

namespace ds::jobs {

namespace fs = std::filesystem;

void validateSampleRequest(const api::SampleRequest& r) {
    if (r.num < 1 && r.initNoisePath.empty()) throw Error("--num must be at least 1");
    if (r.batchSize < 1) throw Error("--batch-size must be at least 1");
}

torch::Tensor initialNoise(const api::SampleRequest& r, int64_t c, int64_t size, at::Generator& gen) {
    if (r.conditioning.rowPerClass && r.gridColumns > 0 && r.num % r.gridColumns == 0) {
        // One row of starting points (the seeds), the same down every class's row.
        api::SampleRequest row = r;
        row.num = r.gridColumns;
        row.conditioning.rowPerClass = false;
        const auto columns = initialNoise(row, c, size, gen);
        if (columns.size(0) != r.gridColumns)
            throw fileError(r.initNoisePath, "holds " + std::to_string(columns.size(0)) +
                                                 " starting points; one row per class takes one per column (" +
                                                 std::to_string(r.gridColumns) + ")");
        return columns.repeat({r.num / r.gridColumns, 1, 1, 1});
    }
    if (!r.initNoisePath.empty()) {
        auto x = io::loadSingleTensor(r.initNoisePath);
        if (x.dim() != 4 || x.size(1) != c || x.size(2) != size || x.size(3) != size)
            throw fileError(r.initNoisePath, "expected a tensor of shape (N, " + std::to_string(c) + ", " +
                                                 std::to_string(size) + ", " + std::to_string(size) + "), found " +
                                                 c10::str(x.sizes()));
        return x.to(torch::kFloat).contiguous();
    }
    return torch::randn({r.num, c, size, size}, gen);
}

std::string numberedSampleName(int index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%05d.png", index);
    return buf;
}

void prepareSampleOutDir(const std::string& dir, int count) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw fileError(dir, "cannot create the output folder (" + ec.message() + ")");
    for (int i = 0; i < count; ++i) {
        const auto p = fs::path(dir) / numberedSampleName(i);
        if (fs::exists(p)) throw fileError(p.string(), "already exists; choose an empty --out-dir");
    }
}

void checkOutputFile(const std::string& path) {
    if (path.empty()) return;
    if (fs::is_directory(path)) throw fileError(path, "is a folder; give a file name");
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent)) throw fileError(path, "its folder does not exist");
}

io::PngText samplePngText(const api::SampleRequest& r, const std::string& checkpointSha,
                          const std::vector<std::pair<std::string, std::string>>& familyEntries, int64_t imageSize,
                          int64_t count, int index) {
    io::PngText text{{"Software", std::string("Diffusion Studio ") + DS_VERSION},
                     {"ds.version", DS_VERSION},
                     {"ds.checkpoint", fs::path(r.checkpoint).filename().string()},
                     {"ds.checkpoint_sha256", checkpointSha},
                     {"ds.weights", weightsName(r.weights)}};
    text.insert(text.end(), familyEntries.begin(), familyEntries.end());
    text.emplace_back("ds.seed", std::to_string(r.seed));
    text.emplace_back("ds.image_size", std::to_string(imageSize));
    text.emplace_back("ds.num", std::to_string(count));
    if (!r.initNoisePath.empty()) text.emplace_back("ds.init_noise", r.initNoisePath);
    if (index >= 0) text.emplace_back("ds.index", std::to_string(index));
    return text;
}

void writeSamplePng(const std::string& path, const torch::Tensor& chw01, const io::PngText& text) {
    const auto img = io::toImage(chw01);
    io::writePng(path, img.pixels.data(), img.width, img.height, img.channels, text);
}

void writeNumberedSamples(const api::SampleRequest& r, const torch::Tensor& images, int64_t firstIndex,
                          const std::function<io::PngText(int index)>& metadata, std::vector<std::string>& files) {
    if (r.outDir.empty()) return;
    for (int64_t i = 0; i < images.size(0); ++i) {
        const int index = static_cast<int>(firstIndex + i);
        const auto path = (fs::path(r.outDir) / numberedSampleName(index)).string();
        writeSamplePng(path, images[i], metadata(index));
        files.push_back(path);
    }
}

}  // namespace ds::jobs
