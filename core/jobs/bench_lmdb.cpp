// SPDX-License-Identifier: GPL-3.0-or-later
// `diffusion-studio-cli bench lmdb`: images/s of raw export and resize export.
#include "core/api/lmdb_import.h"
#include "core/data/parallel_for.h"
#include "core/lmdb/lmdb_environment.h"
#include "core/lmdb/lmdb_writer.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace ds::api {
namespace {
namespace fs = std::filesystem;

// fyu/lsun's one-process `export --flat` on this project's 2-core machine (issue 7).
constexpr double kFyuLsunExportImagesPerSecond = 1600.0;

// A scratch folder removed with everything in it when the benchmark ends.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern = (fs::temp_directory_path() / "ds-bench-lmdb-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw fileError(pattern, "cannot create a temporary folder");
        path_ = pattern;
    }
    ~ScratchFolder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    std::string sub(const std::string& name) const { return (fs::path(path_) / name).string(); }

private:
    std::string path_;
};

// A photo-like LSUN scene stand-in: smooth gradients, a few shapes, sensor noise; 256 pixels on
// the shorter side as LSUN's scenes. Every index gives a different image.
cv::Mat syntheticPhoto(int index) {
    cv::RNG rng(uint64_t(index) * 7919 + 1);
    cv::Mat image(256, 256 + rng.uniform(0, 128), CV_8UC3);
    const cv::Scalar a(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255));
    const cv::Scalar b(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255));
    for (int y = 0; y < image.rows; ++y) image.row(y).setTo(a + (b - a) * (double(y) / image.rows));
    for (int s = 0; s < 6; ++s)
        cv::circle(image, {rng.uniform(0, image.cols), rng.uniform(0, image.rows)}, rng.uniform(10, 80),
                   cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED, cv::LINE_AA);
    cv::Mat noise(image.size(), CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 8);
    cv::add(image, noise, image);
    return image;
}

// `count` entries keyed by 40 hex digits (as LSUN's): three JPEGs (quality 75, LSUN's scenes)
// to one WebP (LSUN's objects).
void buildSyntheticLmdb(const std::string& dir, int count, int threads) {
    std::vector<std::vector<unsigned char>> values(static_cast<size_t>(count));
    data::parallelFor(size_t(count), threads, [&](size_t i) {
        const bool webp = i % 4 == 3;
        const std::vector<int> params =
            webp ? std::vector<int>{cv::IMWRITE_WEBP_QUALITY, 80} : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 75};
        cv::imencode(webp ? ".webp" : ".jpg", syntheticPhoto(int(i)), values[i], params);
    });
    size_t total = 0;
    for (const auto& v : values) total += v.size();
    lmdb::LmdbWriter writer(dir, total * 2 + (64u << 20));
    for (size_t i = 0; i < values.size(); ++i)
        writer.put(sha256Hex(std::to_string(i)).substr(0, 40),
                   std::string_view(reinterpret_cast<const char*>(values[i].data()), values[i].size()));
    writer.commit();
}

// Wall time, and the process's CPU time: on a shared machine the cores actually obtained
// (cpu_seconds / seconds) tell whether a poor scaling is ours or the neighbours'.
nlohmann::json timeImport(LmdbImportRequest request) {
    JobSink quiet;
    StopToken never;
    const std::clock_t cpuStart = std::clock();
    const LmdbImportResult r = runLmdbImport(request, quiet, never);
    const double cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    return {{"threads", request.threads}, {"images", r.written},
            {"seconds", r.seconds},       {"images_per_sec", r.imagesPerSecond},
            {"cpu_seconds", cpuSeconds},  {"cores_used", r.seconds > 0 ? cpuSeconds / r.seconds : 0.0}};
}

}  // namespace

nlohmann::json benchLmdb(const LmdbBenchOptions& options) {
    if (options.count <= 0) throw Error("bench lmdb: count must be positive");
    const int threads = data::chooseThreadCount(options.threads, 1, 64);
    ScratchFolder scratch;
    std::string db = options.dbDir;
    if (db.empty()) {
        db = scratch.sub("db");
        buildSyntheticLmdb(db, options.count, threads);
    }
    const lmdb::LmdbStats stats = lmdb::LmdbEnvironment(db).stats();

    LmdbImportRequest raw;
    raw.dbDir = db;
    raw.outDir = scratch.sub("raw");
    raw.flat = true;
    raw.threads = threads;
    if (!options.dbDir.empty()) raw.limit = options.count;

    LmdbImportRequest resized = raw;
    resized.size = options.size;
    resized.format = "png";
    resized.outDir = scratch.sub("resized-1");
    resized.threads = 1;
    const nlohmann::json resizeOne = timeImport(resized);
    resized.outDir = scratch.sub("resized-n");
    resized.threads = threads;
    const nlohmann::json resizeMany = timeImport(resized);

    const double one = resizeOne["images_per_sec"], many = resizeMany["images_per_sec"];
    return {{"database", options.dbDir.empty() ? "synthetic: 3 JPEG (q75) : 1 WebP, 256 px shorter side" : db},
            {"entries", stats.entries},
            {"mean_value_bytes", stats.entries ? double(stats.usedBytes) / double(stats.entries) : 0.0},
            {"raw_export", timeImport(raw)},
            {"resize_export",
             {{"size", options.size},
              {"format", "png"},
              {"one_thread", resizeOne},
              {"all_threads", resizeMany},
              {"scaling", one > 0 ? many / one : 0.0}}},
            {"reference_fyu_lsun_export_flat_images_per_sec", kFyuLsunExportImagesPerSecond}};
}

}  // namespace ds::api
