// SPDX-License-Identifier: GPL-3.0-or-later
// The FID job: two folders, built-in sets and/or statistics files -> FID (and KID), or a Fréchet
// distance in a feature classifier's space, with progress, cancelling, the statistics cache,
// and pytorch-fid's --save-stats.
#include "core/api/fid.h"
#include "core/features/classifier_file.h"
#include "core/fid/builtin_reference.h"
#include "core/fid/feature_extractor.h"
#include "core/fid/feature_network.h"
#include "core/fid/fid_stats_file.h"
#include "core/fid/frechet_distance.h"
#include "core/fid/image_folder_listing.h"
#include "core/fid/inception_weights.h"
#include "core/fid/kernel_inception_distance.h"
#include "core/fid/prdc.h"
#include "core/fid/stats_cache.h"
#include "core/jobs/fid_sides.h"
#include "core/jobs/generated_fid.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <chrono>
#include <filesystem>
#include <optional>

namespace ds::api {

namespace {

using namespace jobs::fidsets;
namespace fs = std::filesystem;

}  // namespace

std::vector<BuiltinFidReference> builtinFidReferences() {
    std::vector<BuiltinFidReference> out;
    for (const auto& b : fid::builtinReferences()) out.push_back({b.name, b.description});
    return out;
}

std::string findInceptionWeights(const std::string& explicitPath, const std::string& settingPath) {
    return fid::locateInceptionWeights(explicitPath, settingPath);
}

std::string inceptionWeightsDownloadUrl() { return fid::kInceptionWeightsUrl; }

std::string defaultInceptionWeightsPath() {
    return (fs::path(fid::torchHubCheckpointDir()) / fid::kInceptionWeightsName).string();
}

FidResult runFid(const FidRequest& r, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    jobs::fidsets::validate(r);
    Side a = openSide(r.path1, r);
    Side b = openSide(r.path2, r);

    FidResult result;
    NetworkOnDemand network(r, sink);
    const std::string space = checkFeatureSpaces({&a, &b}, r, network);
    const fid::StatsCache cache(r.cacheDir);
    lookUpCache(a, r, network, cache, needsFeatures(r));
    lookUpCache(b, r, network, cache, needsFeatures(r));
    computeFeatures({&a, &b}, r, network, cache, sink, stop, result.warnings, needsFeatures(r));
    throwIfStopped(&stop);

    for (const Side* s : {&a, &b}) warnIfFewImages(*s, result.warnings);
    const auto frechetStart = std::chrono::steady_clock::now();
    auto frechet = fid::frechetDistance(a.computed->stats, b.computed->stats);
    result.frechetSeconds = secondsSince(frechetStart);
    result.fid = frechet.distance;
    result.warnings.insert(result.warnings.end(), frechet.warnings.begin(), frechet.warnings.end());

    result.inception = space == fid::kInceptionSpaceId;
    result.featureSpace = network.resolved() ? network.space().label : spaceLabel(space);
    result.distanceLabel = result.inception ? "FID" : "FD (" + result.featureSpace + ")";
    if (r.kid) {
        sink.onLog(result.inception ? "computing KID"
                                    : "computing the kernel distance (KID's) in the " + result.featureSpace);
        fid::KidOptions options;
        options.subsets = r.kidSubsets;
        options.subsetSize = r.kidSubsetSize;
        const auto kid = fid::kernelInceptionDistance(a.computed->features, b.computed->features, options);
        result.hasKid = true;
        result.kid = kid.mean;
        result.kidStd = kid.std;
        result.warnings.insert(result.warnings.end(), kid.warnings.begin(), kid.warnings.end());
    }
    if (r.prdc) {
        sink.onLog("computing precision/recall (k = " + std::to_string(r.prdcOptions.neighbourhood) +
                   ") and density/coverage (k = " + std::to_string(r.prdcOptions.nearestK) + ") in the " +
                   (result.inception ? std::string("Inception features") : result.featureSpace));
        std::optional<ProgressMeter> meter;  // distances, after the images' progress
        const auto progress = [&](int64_t done, int64_t total) {
            if (!meter) meter.emplace(total, "distances");
            sink.onProgress(meter->at(done));
        };
        result.prdc = fid::precisionRecallDensityCoverage(a.computed->features, b.computed->features, r.prdcOptions,
                                                          progress, &stop);
        result.hasPrdc = true;
    }

    const bool images = a.needsNetwork() || b.needsNetwork();
    result.count1 = a.computed->stats.count;
    result.count2 = b.computed->stats.count;
    result.dims = int(a.computed->stats.dims());
    result.resizeMode = images ? resizeMode(r.resize, network.input()) : "none (statistics files)";
    const bool classifier = network.resolved() && !network.space().isInception();
    result.weightsPath = images || classifier ? network.path() : std::string();
    result.classifierAccuracy = network.resolved() ? network.classifierAccuracy() : -1.0;
    result.cached1 = a.fromCache;
    result.cached2 = b.fromCache;
    result.seconds = secondsSince(start);
    return result;
}

FidStatsResult saveFidStats(const FidRequest& r, const std::string& output, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    jobs::fidsets::validate(r);
    std::error_code ec;
    if (output.empty()) throw Error("--save-stats needs an output file");
    if (fs::exists(output, ec)) throw fileError(output, "already exists; not overwriting it");
    if (!fid::isBuiltinReference(r.path1) && !fs::is_directory(r.path1, ec))
        throw fileError(r.path1, "not a folder (--save-stats reads a folder of images or a built-in set)");

    FidRequest folderOnly = r;
    folderOnly.kid = false;
    folderOnly.prdc = false;
    Side side = openSide(r.path1, folderOnly);
    NetworkOnDemand network(folderOnly, sink);
    checkFeatureSpaces({&side}, folderOnly, network);
    const fid::StatsCache cache(r.cacheDir);
    FidStatsResult result;
    lookUpCache(side, folderOnly, network, cache, false);
    computeFeatures({&side}, folderOnly, network, cache, sink, stop, result.warnings, false);
    throwIfStopped(&stop);
    warnIfFewImages(side, result.warnings);

    fid::writeFidStats(output, side.computed->stats, network.space().id);
    result.count = side.computed->stats.count;
    result.dims = network.dims();
    result.featureSpace = network.space().label;
    result.output = output;
    result.seconds = secondsSince(start);
    return result;
}

}  // namespace ds::api

namespace ds::jobs {

struct GeneratedImagesFid::State {
    api::FidRequest request;
    api::JobSink& sink;
    fidsets::NetworkOnDemand network;  // holds a reference to `request`
    fidsets::Side reference;
    fid::StatsCache cache;
    std::string label;
    std::string space;
    bool prepared = false;

    static api::FidRequest normalised(api::FidRequest r) {
        r.prdc = false;  // kid stays: the reference then keeps its features (a statistics file is refused)
        r.resize = 0;
        return r;
    }
    State(const api::FidRequest& r, api::JobSink& s)
        : request(normalised(r)), sink(s), network(request, s), cache(request.cacheDir) {}
};

GeneratedImagesFid::GeneratedImagesFid(const api::FidRequest& request, api::JobSink& sink)
    : state_(std::make_unique<State>(request, sink)) {
    auto& st = *state_;
    fidsets::validate(st.request);
    if (st.request.path2.empty())
        throw Error("no FID reference given (a folder, an .npz of statistics or a built-in set)");
    st.reference = fidsets::openSide(st.request.path2, st.request);
    st.network.resolve();  // the generated images always need it
    if (!st.reference.needsNetwork() && st.reference.statsSpace != st.network.space().id)
        throw fidsets::spaceMismatch(st.reference.path, st.reference.statsSpace, st.network.space().id);
    st.space = st.network.space().label;
    st.label = st.network.space().isInception() ? "FID" : "FD (" + st.space + ")";
}

GeneratedImagesFid::~GeneratedImagesFid() = default;

void GeneratedImagesFid::prepareReference(const StopToken& stop) {
    auto& st = *state_;
    if (st.prepared) return;
    std::vector<std::string> warnings;
    fidsets::lookUpCache(st.reference, st.request, st.network, st.cache, st.request.kid);
    fidsets::computeFeatures({&st.reference}, st.request, st.network, st.cache, st.sink, stop, warnings,
                             st.request.kid);
    throwIfStopped(&stop);
    fidsets::warnIfFewImages(st.reference, warnings);
    for (const auto& w : warnings) st.sink.onLog("warning: " + w);
    st.prepared = true;
}

double GeneratedImagesFid::distance(const torch::Tensor& images, const StopToken& stop) {
    prepareReference(stop);
    return distance(features(images, stop));
}

double GeneratedImagesFid::distance(const torch::Tensor& features) {
    if (!state_->prepared) throw Error("the FID reference's statistics are not ready (prepareReference first)");
    if (features.dim() != 2 || features.size(0) < 2) throw Error("the FID needs the features of at least two images");
    return fid::frechetDistance(fid::GaussianStats::fromFeatures(features), state_->reference.computed->stats).distance;
}

std::optional<train::KernelDistance> GeneratedImagesFid::kernelDistance(const torch::Tensor& features) {
    const auto& st = *state_;
    if (!st.request.kid) return std::nullopt;
    if (!st.prepared) throw Error("the FID reference's features are not ready (prepareReference first)");
    fid::KidOptions options;
    options.subsets = st.request.kidSubsets;
    options.subsetSize = st.request.kidSubsetSize;
    const auto kid = fid::kernelInceptionDistance(features, st.reference.computed->features, options);
    return train::KernelDistance{kid.mean, kid.std};
}

torch::Tensor GeneratedImagesFid::features(const torch::Tensor& images, const StopToken& stop) {
    if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
        throw Error("the FID of generated images needs (N, C, H, W) images with 1 or 3 channels");
    if (images.size(0) < 1) throw Error("no generated images to measure");
    auto& st = *state_;
    // 8 bits as a written PNG holds them (io::toImage's rounding), gray repeated as decoding does.
    auto pixels =
        images.detach().to(torch::kCPU, torch::kFloat).mul(255.0).add(0.5).clamp(0.0, 255.0).to(torch::kUInt8);
    if (pixels.size(1) == 1) pixels = pixels.expand({-1, 3, -1, -1});
    pixels = pixels.permute({0, 2, 3, 1}).contiguous();
    const int h = int(pixels.size(1)), w = int(pixels.size(2));
    fid::ImageList list;
    list.count = size_t(pixels.size(0));
    list.rgb = [pixels, h, w](size_t i) {
        auto one = pixels[int64_t(i)];
        return cv::Mat(h, w, CV_8UC3, one.data_ptr<uint8_t>()).clone();
    };
    list.name = [](size_t i) { return "generated image " + std::to_string(i); };
    const ProgressMeter meter(int64_t(list.count), "images");
    auto features = st.network.extractor().extract(
        list, [&](int64_t n) { st.sink.onProgress(meter.at(n)); }, &stop);
    throwIfStopped(&stop);
    return features;
}

const std::string& GeneratedImagesFid::label() const { return state_->label; }
const std::string& GeneratedImagesFid::featureSpace() const { return state_->space; }
int64_t GeneratedImagesFid::referenceCount() const {
    const auto& r = state_->reference;
    return r.computed ? r.computed->stats.count : int64_t(r.imageCount());
}

}  // namespace ds::jobs
