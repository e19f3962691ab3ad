// SPDX-License-Identifier: GPL-3.0-or-later
// `bench fid`: the speed of the FID pipeline on two folders (by default two generated folders of
// random 32x32 PNGs, the reference setting), and of the Fréchet distance alone.
#include "core/api/fid.h"
#include "core/fid/feature_extractor.h"
#include "core/fid/frechet_distance.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/util/blas_threads.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <filesystem>
#include <random>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

// A temporary folder removed with its contents when the bench ends.
class ScratchDir {
public:
    ScratchDir() {
        std::random_device seed;
        path_ = fs::temp_directory_path() / ("ds-bench-fid-" + std::to_string(seed()));
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

void writeRandomPngs(const fs::path& folder, int count, int size, uint32_t seed) {
    fs::create_directories(folder);
    std::mt19937 rng(seed);
    cv::Mat image(size, size, CV_8UC3);
    for (int i = 0; i < count; ++i) {
        for (auto it = image.begin<cv::Vec3b>(); it != image.end<cv::Vec3b>(); ++it)
            *it = cv::Vec3b(uint8_t(rng()), uint8_t(rng()), uint8_t(rng()));
        char name[32];
        std::snprintf(name, sizeof name, "%05d.png", i);
        if (!cv::imwrite((folder / name).string(), image)) throw fileError((folder / name).string(), "cannot write");
    }
}

// The real weights when they can be found; otherwise seeded random ones (the speed is the same).
fid::FidInception benchNetwork(const FidBenchOptions& o, torch::Device device, std::string& weightsUsed) {
    try {
        weightsUsed = fid::locateInceptionWeights(o.weights, {});
        return fid::loadFidInception(weightsUsed, device);
    } catch (const Error&) {
        if (!o.weights.empty()) throw;
    }
    weightsUsed = "random (no weight file found; the speed does not depend on the values)";
    torch::manual_seed(0);
    fid::FidInception net;
    net->to(device);
    net->prepareForInference();
    return net;
}

double timeFrechet(const fid::GaussianStats& a, const fid::GaussianStats& b) {
    const auto start = std::chrono::steady_clock::now();
    fid::frechetDistance(a, b);
    return secondsSince(start);
}

}  // namespace

nlohmann::json benchFid(const FidBenchOptions& o, JobSink& sink, const StopToken& stop) {
    const auto device = parseDevice(o.device);
    std::string weightsUsed;
    auto net = benchNetwork(o, device, weightsUsed);
    const fid::FeatureExtractor extractor(net, device, {o.dims, o.batchSize, o.numWorkers, 0});

    ScratchDir scratch;
    std::vector<std::string> folders{o.folder1, o.folder2};
    if (o.folder1.empty() || o.folder2.empty()) {
        sink.onLog("writing 2 x " + std::to_string(o.images) + " random " + std::to_string(o.imageSize) + "x" +
                   std::to_string(o.imageSize) + " PNGs");
        for (int i = 0; i < 2; ++i) {
            folders[size_t(i)] = (scratch.path() / (i == 0 ? "a" : "b")).string();
            writeRandomPngs(folders[size_t(i)], o.images, o.imageSize, uint32_t(i + 1));
        }
    }

    // End to end as `fid` runs it on two folders: list, decode, extract, statistics, distance.
    const auto start = std::chrono::steady_clock::now();
    double extractionSeconds = 0.0;
    int64_t images = 0;
    std::vector<fid::GaussianStats> stats;
    for (const auto& folder : folders) {
        const auto files = fid::listFidImages(folder);
        const ProgressMeter meter(int64_t(files.size()), "images");
        const auto extractStart = std::chrono::steady_clock::now();
        const auto features = extractor.extract(
            files, [&](int64_t n) { sink.onProgress(meter.at(n)); }, &stop);
        extractionSeconds += secondsSince(extractStart);
        images += int64_t(files.size());
        stats.push_back(fid::GaussianStats::fromFeatures(features));
    }
    const double frechetSeconds = timeFrechet(stats[0], stats[1]);
    const double totalSeconds = secondsSince(start);

    // Full-rank 2048-d covariances (scipy's sqrtm takes 6.4 s on them on the project's machine).
    torch::manual_seed(1);
    const auto fullRank1 = fid::GaussianStats::fromFeatures(torch::randn({4096, 2048}, torch::kDouble));
    const auto fullRank2 = fid::GaussianStats::fromFeatures(torch::randn({4096, 2048}, torch::kDouble) * 1.1 + 0.1);
    const double frechetFullRankSeconds = timeFrechet(fullRank1, fullRank2);

    return {{"bench", "fid"},
            {"device", device.str()},
            {"threads", torch::get_num_threads()},
            {"blas_threads", openBlasThreads()},  // 0: not OpenBLAS
            {"dims", o.dims},
            {"batch_size", o.batchSize},
            {"decode_threads", o.numWorkers},
            {"weights", weightsUsed},
            {"folders", folders.size()},
            {"images", images},
            {"image_size",
             (o.folder1.empty() || o.folder2.empty()) ? nlohmann::json(o.imageSize) : nlohmann::json("as found")},
            {"feature_extraction", {{"seconds", extractionSeconds}, {"images_per_second", images / extractionSeconds}}},
            {"total_seconds", totalSeconds},
            {"end_to_end_images_per_second", images / totalSeconds},
            {"frechet_seconds", frechetSeconds},
            {"frechet_2048_full_rank_seconds", frechetFullRankSeconds}};
}

}  // namespace ds::api
