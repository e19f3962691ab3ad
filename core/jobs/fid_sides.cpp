// SPDX-License-Identifier: GPL-3.0-or-later
// Sides, feature spaces and the statistics cache of feature comparisons (see fid_sides.h).
#include "core/jobs/fid_sides.h"

#include "core/fid/fid_stats_file.h"
#include "core/fid/image_folder_listing.h"
#include "core/util/progress_meter.h"

#include <filesystem>

namespace ds::jobs::fidsets {

namespace fs = std::filesystem;

bool namesInception(const FidRequest& r) { return r.features.empty() || r.features == "inception"; }

// KID and the PRDC metrics work on the features themselves, not on their statistics.
bool needsFeatures(const FidRequest& r) { return r.kid || r.prdc; }

void validate(const FidRequest& r) {
    if (r.dims < 0) throw Error("--dims must be positive");
    if (r.dims != 0 && namesInception(r) && !fid::FidInceptionImpl::isSupportedDims(r.dims))
        throw Error("unsupported --dims " + std::to_string(r.dims) + " (expected 64, 192, 768 or 2048)");
    if (r.batchSize < 1) throw Error("--batch-size must be at least 1");
    if (r.resize < 0) throw Error("--resize must be positive");
    if (r.kid && (r.kidSubsets < 1 || r.kidSubsetSize < 2)) throw Error("KID needs at least one subset of two or more");
    if (r.prdc && (r.prdcOptions.neighbourhood < 1 || r.prdcOptions.nearestK < 1))
        throw Error("precision/recall and density/coverage need k of at least 1 (--prc-neighbourhood, --nearest-k)");
}

std::string resizeMode(int resize, const fid::NetworkInput& input) {
    const std::string target = input.size > 0 ? std::to_string(input.size) + "x" + std::to_string(input.size) +
                                                    (input.channels == 1 ? " gray" : "")
                                              : "299x299";
    const std::string last =
        input.size > 0 ? "to " + target + " (area when shrinking, bilinear when enlarging)" : "bilinear to " + target;
    if (resize == 0) return input.size > 0 ? "each image " + last : last + " (as pytorch-fid)";
    const std::string s = std::to_string(resize);
    return "each image to " + s + "x" + s + " (area when shrinking, bilinear when enlarging), then " + last;
}

// The label of a feature space known only by its id (from a statistics file).
std::string spaceLabel(const std::string& id) {
    if (id == fid::kInceptionSpaceId) return "Inception";
    return id.substr(0, id.find(" (sha256 "));
}

std::string describeSpace(const std::string& id) {
    return id == fid::kInceptionSpaceId ? "pytorch-fid's Inception features" : "the features of the " + id;
}

// A statistics file of another feature space than `expected`: what to do about it.
Error spaceMismatch(const std::string& path, const std::string& found, const std::string& expected) {
    std::string hint;
    if (found == fid::kInceptionSpaceId)
        hint = "compute it with --features inception, or give statistics saved with the same --features";
    else if (expected == fid::kInceptionSpaceId)
        hint = "pass the classifier that made them with --features (fashion-mnist or its file)";
    else if (spaceLabel(found) == spaceLabel(expected))
        hint = "another classifier file made them (its sha256 differs): recompute them with this one";
    else hint = "pass the classifier that made them with --features";
    return fileError(path, "holds statistics of " + describeSpace(found) + ", but the distance is computed in " +
                               describeSpace(expected) + "; distances between two feature spaces mean nothing (" +
                               hint + ")");
}

Side openSide(const std::string& path, const FidRequest& r) {
    if (path.empty()) throw Error("two paths are needed (folders of images, .npz statistics or a built-in set)");
    Side side;
    side.path = path;
    if (fid::isBuiltinReference(path)) {
        side.builtin.emplace(path, r.fashionMnistDir);
        return side;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        side.isFolder = true;
        side.files = fid::listFidImages(path);
        if (side.files.size() < 2)
            throw fileError(path,
                            "holds a single image; FID needs at least two per side (a covariance of one "
                            "image is undefined), and thousands for a meaningful value");
        return side;
    }
    if (!fs::exists(path, ec)) throw fileError(path, "does not exist");
    if (needsFeatures(r))
        throw fileError(path, std::string("is a statistics file; ") +
                                  (r.kid ? "KID needs" : "precision/recall and density/coverage need") +
                                  " the images' features: give a folder");
    side.computed = fid::CachedStats{fid::readFidStats(path), {}};
    side.statsSpace = fid::readFidStatsSpace(path);
    return side;
}

// The feature space of the comparison, checked against every statistics file's: the network's
// when one is named or needed, else the files' own (which must agree).
std::string checkFeatureSpaces(const std::vector<const Side*>& sides, const FidRequest& r, NetworkOnDemand& network) {
    bool needNetwork = !r.features.empty();
    for (const Side* s : sides) needNetwork = needNetwork || s->needsNetwork();
    if (needNetwork) {
        network.resolve();
        for (const Side* s : sides)
            if (!s->needsNetwork() && s->statsSpace != network.space().id)
                throw spaceMismatch(s->path, s->statsSpace, network.space().id);
        return network.space().id;
    }
    const std::string& first = sides.front()->statsSpace;
    for (const Side* s : sides)
        if (s->statsSpace != first)
            throw Error(sides.front()->path + " holds statistics of " + describeSpace(first) + " but " + s->path +
                        " of " + describeSpace(s->statsSpace) + "; distances between two feature spaces mean nothing");
    return first;
}

void lookUpCache(Side& side, const FidRequest& r, NetworkOnDemand& network, const fid::StatsCache& cache,
                 bool withFeatures) {
    if (!side.needsNetwork() || !r.useCache) return;
    if (side.builtin)
        side.cacheKey = fid::StatsCache::key({side.builtin->dataFile()},
                                             "builtin=" + side.path + ";32x32 padded;" + network.signature());
    else side.cacheKey = fid::StatsCache::key(side.files, network.signature());
    side.computed = cache.load(side.cacheKey, withFeatures, network.space().id);
    side.fromCache = side.computed.has_value();
}

// Extracts features for every side still without statistics, reporting images done.
void computeFeatures(std::vector<Side*> sides, const FidRequest& r, NetworkOnDemand& network,
                     const fid::StatsCache& cache, api::JobSink& sink, const StopToken& stop,
                     std::vector<std::string>& warnings, bool withFeatures) {
    int64_t total = 0;
    for (const Side* s : sides)
        if (!s->computed) total += int64_t(s->imageCount());
    if (total == 0) return;
    const ProgressMeter meter(total, "images");
    int64_t done = 0;
    for (Side* s : sides) {
        if (s->computed) continue;
        for (const Side* other : sides)  // the same images on both sides (`fid X X`): extracted once
            if (other != s && other->computed && other->needsNetwork() && other->path == s->path &&
                other->files == s->files && (!withFeatures || other->computed->features.defined())) {
                s->computed = other->computed;
                done += int64_t(s->imageCount());
                break;
            }
        if (s->computed) continue;
        sink.onLog("computing features of " + std::to_string(s->imageCount()) + " images in " + s->path);
        const int64_t before = done;
        const fid::ImageList images = s->images();
        auto features = network.extractor().extract(
            images, [&](int64_t n) { sink.onProgress(meter.at(before + n)); }, &stop);
        done += int64_t(s->imageCount());
        fid::CachedStats entry{fid::GaussianStats::fromFeatures(features), withFeatures ? features : torch::Tensor()};
        if (r.useCache) {
            const auto warning = cache.store(s->cacheKey, entry.stats, entry.features, network.space().id);
            if (!warning.empty()) warnings.push_back(warning);
        }
        s->computed = std::move(entry);
    }
}

void warnIfFewImages(const Side& side, std::vector<std::string>& warnings) {
    const int64_t n = side.computed->stats.count;
    const int64_t dims = side.computed->stats.dims();
    if (n > 0 && n < dims)
        warnings.push_back(side.path + ": " + std::to_string(n) + " images for " + std::to_string(dims) +
                           " dimensions: the covariance is singular and the distance biased upwards; use at least " +
                           std::to_string(dims) + " images for a number comparable with published ones");
}

}  // namespace ds::jobs::fidsets
