// The FID job: two folders and/or statistics files -> FID (and KID), with progress, cancelling,
// the statistics cache, and pytorch-fid's --save-stats.
#include "core/api/fid.h"

#include "core/fid/feature_extractor.h"
#include "core/fid/fid_stats_file.h"
#include "core/fid/frechet_distance.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/fid/kernel_inception_distance.h"
#include "core/fid/stats_cache.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <chrono>
#include <filesystem>
#include <optional>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One side of the comparison: a folder (listed, maybe cached) or a statistics file.
struct Side {
    std::string path;
    bool isFolder = false;
    std::vector<std::string> files;
    std::string cacheKey;
    std::optional<fid::CachedStats> computed;  // stats (+ features) once known
    bool fromCache = false;
};

void validate(const FidRequest& r) {
    if (!fid::FidInceptionImpl::isSupportedDims(r.dims))
        throw Error("unsupported --dims " + std::to_string(r.dims) + " (expected 64, 192, 768 or 2048)");
    if (r.batchSize < 1) throw Error("--batch-size must be at least 1");
    if (r.resize < 0) throw Error("--resize must be positive");
    if (r.kid && (r.kidSubsets < 1 || r.kidSubsetSize < 2)) throw Error("KID needs at least one subset of two or more");
}

std::string resizeMode(int resize) {
    if (resize == 0) return "bilinear to 299x299 (as pytorch-fid)";
    const std::string s = std::to_string(resize);
    return "each image to " + s + "x" + s + " (area when shrinking, bilinear when enlarging), then bilinear to 299x299";
}

// Weight file identity and every option that changes the features: the cache key's second half.
std::string extractionSignature(const FidRequest& r, const std::string& weightsPath) {
    std::error_code ec;
    const auto size = fs::file_size(weightsPath, ec);
    const auto time = fs::last_write_time(weightsPath, ec).time_since_epoch().count();
    return "dims=" + std::to_string(r.dims) + ";resize=" + std::to_string(r.resize) + ";weights=" +
           fs::path(weightsPath).filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time);
}

Side openSide(const std::string& path, const FidRequest& r) {
    if (path.empty()) throw Error("two paths are needed (folders of images or .npz statistics)");
    std::error_code ec;
    Side side;
    side.path = path;
    if (fs::is_directory(path, ec)) {
        side.isFolder = true;
        side.files = fid::listFidImages(path);
        if (side.files.size() < 2)
            throw fileError(path, "holds a single image; FID needs at least two per side (a covariance of one "
                                  "image is undefined), and thousands for a meaningful value");
        return side;
    }
    if (!fs::exists(path, ec)) throw fileError(path, "does not exist");
    if (r.kid) throw fileError(path, "is a statistics file; KID needs the images' features: give a folder");
    side.computed = fid::CachedStats{fid::readFidStats(path), {}};
    return side;
}

// Loads the network once, on first need (statistics files and cached folders need none).
class NetworkOnDemand {
public:
    NetworkOnDemand(const FidRequest& r, JobSink& sink) : request_(r), sink_(sink) {}

    const std::string& weightsPath() {
        if (weightsPath_.empty()) weightsPath_ = fid::locateInceptionWeights(request_.weights, request_.weightsSetting);
        return weightsPath_;
    }

    const fid::FeatureExtractor& extractor() {
        if (!extractor_) {
            const auto device = parseDevice(request_.device);
            sink_.onLog("loading Inception weights from " + weightsPath());
            extractor_.emplace(fid::loadFidInception(weightsPath(), device), device,
                               fid::ExtractionOptions{request_.dims, request_.batchSize, request_.numWorkers,
                                                      request_.resize});
        }
        return *extractor_;
    }

private:
    const FidRequest& request_;
    JobSink& sink_;
    std::string weightsPath_;
    std::optional<fid::FeatureExtractor> extractor_;
};

void lookUpCache(Side& side, const FidRequest& r, NetworkOnDemand& network, const fid::StatsCache& cache) {
    if (!side.isFolder || !r.useCache) return;
    side.cacheKey = fid::StatsCache::key(side.files, extractionSignature(r, network.weightsPath()));
    side.computed = cache.load(side.cacheKey, r.kid);
    side.fromCache = side.computed.has_value();
}

// Extracts features for every folder side still without statistics, reporting images done.
void computeFolders(std::vector<Side*> sides, const FidRequest& r, NetworkOnDemand& network,
                    const fid::StatsCache& cache, JobSink& sink, const StopToken& stop,
                    std::vector<std::string>& warnings) {
    int64_t total = 0;
    for (const Side* s : sides)
        if (!s->computed) total += int64_t(s->files.size());
    if (total == 0) return;
    const ProgressMeter meter(total, "images");
    int64_t done = 0;
    for (Side* s : sides) {
        if (s->computed) continue;
        sink.onLog("computing features of " + std::to_string(s->files.size()) + " images in " + s->path);
        const int64_t before = done;
        auto features = network.extractor().extract(
            s->files, [&](int64_t n) { sink.onProgress(meter.at(before + n)); }, &stop);
        done += int64_t(s->files.size());
        fid::CachedStats entry{fid::GaussianStats::fromFeatures(features), r.kid ? features : torch::Tensor()};
        if (r.useCache) {
            const auto warning = cache.store(s->cacheKey, entry.stats, entry.features);
            if (!warning.empty()) warnings.push_back(warning);
        }
        s->computed = std::move(entry);
    }
}

void warnIfFewImages(const Side& side, int dims, std::vector<std::string>& warnings) {
    const int64_t n = side.computed->stats.count;
    if (n > 0 && n < dims)
        warnings.push_back(side.path + ": " + std::to_string(n) + " images for " + std::to_string(dims) +
                           " dimensions: the covariance is singular and the FID biased upwards; use at least " +
                           std::to_string(dims) + " images for a number comparable with published ones");
}

}  // namespace

std::string findInceptionWeights(const std::string& explicitPath, const std::string& settingPath) {
    return fid::locateInceptionWeights(explicitPath, settingPath);
}

std::string inceptionWeightsDownloadUrl() { return fid::kInceptionWeightsUrl; }

std::string defaultInceptionWeightsPath() {
    return (fs::path(fid::torchHubCheckpointDir()) / fid::kInceptionWeightsName).string();
}

FidResult runFid(const FidRequest& r, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    validate(r);
    Side a = openSide(r.path1, r);
    Side b = openSide(r.path2, r);

    FidResult result;
    NetworkOnDemand network(r, sink);
    const fid::StatsCache cache(r.cacheDir);
    lookUpCache(a, r, network, cache);
    lookUpCache(b, r, network, cache);
    computeFolders({&a, &b}, r, network, cache, sink, stop, result.warnings);
    throwIfStopped(&stop);

    for (const Side* s : {&a, &b}) warnIfFewImages(*s, r.dims, result.warnings);
    const auto frechetStart = std::chrono::steady_clock::now();
    auto frechet = fid::frechetDistance(a.computed->stats, b.computed->stats);
    result.frechetSeconds = secondsSince(frechetStart);
    result.fid = frechet.distance;
    result.warnings.insert(result.warnings.end(), frechet.warnings.begin(), frechet.warnings.end());

    if (r.kid) {
        sink.onLog("computing KID");
        fid::KidOptions options;
        options.subsets = r.kidSubsets;
        options.subsetSize = r.kidSubsetSize;
        const auto kid = fid::kernelInceptionDistance(a.computed->features, b.computed->features, options);
        result.hasKid = true;
        result.kid = kid.mean;
        result.kidStd = kid.std;
        result.warnings.insert(result.warnings.end(), kid.warnings.begin(), kid.warnings.end());
    }

    result.count1 = a.computed->stats.count;
    result.count2 = b.computed->stats.count;
    result.dims = int(a.computed->stats.dims());
    result.resizeMode = (a.isFolder || b.isFolder) ? resizeMode(r.resize) : "none (statistics files)";
    result.weightsPath = (a.isFolder || b.isFolder) ? network.weightsPath() : std::string();
    result.cached1 = a.fromCache;
    result.cached2 = b.fromCache;
    result.seconds = secondsSince(start);
    return result;
}

FidStatsResult saveFidStats(const FidRequest& r, const std::string& output, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    validate(r);
    std::error_code ec;
    if (output.empty()) throw Error("--save-stats needs an output file");
    if (fs::exists(output, ec)) throw fileError(output, "already exists; not overwriting it");
    if (!fs::is_directory(r.path1, ec)) throw fileError(r.path1, "not a folder (--save-stats reads a folder of images)");

    FidRequest folderOnly = r;
    folderOnly.kid = false;
    Side side = openSide(r.path1, folderOnly);
    NetworkOnDemand network(folderOnly, sink);
    const fid::StatsCache cache(r.cacheDir);
    FidStatsResult result;
    lookUpCache(side, folderOnly, network, cache);
    computeFolders({&side}, folderOnly, network, cache, sink, stop, result.warnings);
    throwIfStopped(&stop);
    warnIfFewImages(side, r.dims, result.warnings);

    fid::writeFidStats(output, side.computed->stats);
    result.count = side.computed->stats.count;
    result.dims = r.dims;
    result.output = output;
    result.seconds = secondsSince(start);
    return result;
}

}  // namespace ds::api
