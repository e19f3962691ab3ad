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

namespace fs = std::filesystem;

// One side of the comparison: a folder (listed, maybe cached), a built-in set or a statistics file.
struct Side {
    std::string path;
    bool isFolder = false;
    std::vector<std::string> files;
    std::optional<fid::BuiltinReference> builtin;
    std::string statsSpace;  // a statistics file's feature space
    std::string cacheKey;
    std::optional<fid::CachedStats> computed;  // stats (+ features) once known
    bool fromCache = false;

    bool needsNetwork() const { return isFolder || builtin.has_value(); }
    size_t imageCount() const { return builtin ? builtin->size() : files.size(); }
    fid::ImageList images() const { return builtin ? builtin->images() : fid::ImageList::files(files); }
};

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

// The feature network a request names. Its kind, file and feature space are known once
// resolved; the network itself is loaded on first need (statistics files and cached folders
// need none).
class NetworkOnDemand {
public:
    NetworkOnDemand(const FidRequest& r, JobSink& sink) : request_(r), sink_(sink) {}

    // Settles which network and feature space the request names; a classifier's file is read
    // (its space is its hash), Inception's weights are looked for only when needed (path()).
    // Throws ds::Error saying what is missing and what to do.
    void resolve() {
        if (resolved_) return;
        const std::string& f = request_.features;
        if (namesInception(request_)) {
            dims_ = request_.dims == 0 ? 2048 : request_.dims;
        } else {
            if (!request_.weights.empty())
                throw Error("--weights names pytorch-fid's Inception weights; it does not apply to --features " + f);
            if (f == "fashion-mnist") {
                path_ = features::defaultClassifierPath("fashion-mnist");
                std::error_code ec;
                if (!fs::is_regular_file(path_, ec))
                    throw fileError(path_,
                                    "no Fashion-MNIST classifier here: train it once with diffusion-studio-cli "
                                    "train-classifier --data fashion-mnist (a few minutes on a CPU), or give "
                                    "a classifier file with --features FILE");
            } else {
                path_ = f;
                std::error_code ec;
                if (!fs::exists(path_, ec))
                    throw fileError(path_,
                                    "does not exist (--features takes inception, fashion-mnist or a classifier "
                                    "file written by train-classifier)");
            }
            classifier_ = features::readClassifierFile(path_);
            space_.id = classifier_->featureSpaceId();
            space_.label = classifier_->record.label();
            dims_ = classifier_->record.config.featureDim;
            if (request_.dims != 0 && request_.dims != dims_)
                throw Error("--dims " + std::to_string(request_.dims) +
                            " selects one of Inception's blocks; --features " + f + " gives " + std::to_string(dims_) +
                            "-d features (leave --dims out)");
        }
        resolved_ = true;
    }

    // The network's file: the classifier, or Inception's weights (looked for now).
    const std::string& path() {
        resolve();
        if (!path_.empty()) return path_;
        try {
            path_ = fid::locateInceptionWeights(request_.weights, request_.weightsSetting);
        } catch (const Error& e) {
            if (!request_.weights.empty()) throw;  // the file named is missing: that is all
            throw Error(std::string(e.what()) +
                        "; or, offline, compute a Fréchet distance in a Fashion-MNIST classifier's features with "
                        "--features fashion-mnist (train it once: diffusion-studio-cli train-classifier --data "
                        "fashion-mnist) or --features FILE");
        }
        return path_;
    }

    bool resolved() const { return resolved_; }
    const fid::FeatureSpace& space() const { return space_; }
    int dims() const { return dims_; }
    double classifierAccuracy() const { return classifier_ ? classifier_->record.testAccuracy : -1.0; }
    fid::NetworkInput input() const {
        if (!classifier_) return {3, 0};
        return {classifier_->record.config.inputChannels, classifier_->record.config.inputSize};
    }

    // Every option that changes the features: the cache key's second half. Inception's is
    // the weight file's identity (name, size, time), the dims and the resize, as before
    // classifiers existed, so earlier cache entries stay valid.
    std::string signature() {
        resolve();
        if (classifier_) return "features=" + space_.id + ";resize=" + std::to_string(request_.resize);
        const std::string& weights = path();
        std::error_code ec;
        const auto size = fs::file_size(weights, ec);
        const auto time = fs::last_write_time(weights, ec).time_since_epoch().count();
        return "dims=" + std::to_string(dims_) + ";resize=" + std::to_string(request_.resize) +
               ";weights=" + fs::path(weights).filename().string() + ":" + std::to_string(size) + ":" +
               std::to_string(time);
    }

    const fid::FeatureExtractor& extractor() {
        if (!extractor_) {
            resolve();
            const auto device = parseDevice(request_.device);
            const fid::ExtractionOptions options{dims_, request_.batchSize, request_.numWorkers, request_.resize};
            if (classifier_) {
                sink_.onLog("loading the " + space_.label + " from " + path_);
                extractor_.emplace(fid::classifierFeatures(features::buildClassifier(*classifier_, device), space_),
                                   device, options);
            } else {
                sink_.onLog("loading Inception weights from " + path());
                extractor_.emplace(fid::loadFidInception(path(), device), device, options);
            }
        }
        return *extractor_;
    }

private:
    const FidRequest& request_;
    JobSink& sink_;
    bool resolved_ = false;
    std::string path_;
    fid::FeatureSpace space_;
    int dims_ = 0;
    std::optional<features::ClassifierFile> classifier_;
    std::optional<fid::FeatureExtractor> extractor_;
};

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

void lookUpCache(Side& side, const FidRequest& r, NetworkOnDemand& network, const fid::StatsCache& cache) {
    if (!side.needsNetwork() || !r.useCache) return;
    if (side.builtin)
        side.cacheKey = fid::StatsCache::key({side.builtin->dataFile()},
                                             "builtin=" + side.path + ";32x32 padded;" + network.signature());
    else side.cacheKey = fid::StatsCache::key(side.files, network.signature());
    side.computed = cache.load(side.cacheKey, needsFeatures(r), network.space().id);
    side.fromCache = side.computed.has_value();
}

// Extracts features for every side still without statistics, reporting images done.
void computeFeatures(std::vector<Side*> sides, const FidRequest& r, NetworkOnDemand& network,
                     const fid::StatsCache& cache, JobSink& sink, const StopToken& stop,
                     std::vector<std::string>& warnings) {
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
                other->files == s->files && (!needsFeatures(r) || other->computed->features.defined())) {
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
        fid::CachedStats entry{fid::GaussianStats::fromFeatures(features),
                               needsFeatures(r) ? features : torch::Tensor()};
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
    validate(r);
    Side a = openSide(r.path1, r);
    Side b = openSide(r.path2, r);

    FidResult result;
    NetworkOnDemand network(r, sink);
    const std::string space = checkFeatureSpaces({&a, &b}, r, network);
    const fid::StatsCache cache(r.cacheDir);
    lookUpCache(a, r, network, cache);
    lookUpCache(b, r, network, cache);
    computeFeatures({&a, &b}, r, network, cache, sink, stop, result.warnings);
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
    validate(r);
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
    lookUpCache(side, folderOnly, network, cache);
    computeFeatures({&side}, folderOnly, network, cache, sink, stop, result.warnings);
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
    api::NetworkOnDemand network;  // holds a reference to `request`
    api::Side reference;
    fid::StatsCache cache;
    std::string label;
    std::string space;
    bool prepared = false;

    static api::FidRequest normalised(api::FidRequest r) {
        r.kid = false;
        r.prdc = false;
        r.resize = 0;
        return r;
    }
    State(const api::FidRequest& r, api::JobSink& s)
        : request(normalised(r)), sink(s), network(request, s), cache(request.cacheDir) {}
};

GeneratedImagesFid::GeneratedImagesFid(const api::FidRequest& request, api::JobSink& sink)
    : state_(std::make_unique<State>(request, sink)) {
    auto& st = *state_;
    api::validate(st.request);
    if (st.request.path2.empty())
        throw Error("no FID reference given (a folder, an .npz of statistics or a built-in set)");
    st.reference = api::openSide(st.request.path2, st.request);
    st.network.resolve();  // the generated images always need it
    if (!st.reference.needsNetwork() && st.reference.statsSpace != st.network.space().id)
        throw api::spaceMismatch(st.reference.path, st.reference.statsSpace, st.network.space().id);
    st.space = st.network.space().label;
    st.label = st.network.space().isInception() ? "FID" : "FD (" + st.space + ")";
}

GeneratedImagesFid::~GeneratedImagesFid() = default;

void GeneratedImagesFid::prepareReference(const StopToken& stop) {
    auto& st = *state_;
    if (st.prepared) return;
    std::vector<std::string> warnings;
    api::lookUpCache(st.reference, st.request, st.network, st.cache);
    api::computeFeatures({&st.reference}, st.request, st.network, st.cache, st.sink, stop, warnings);
    throwIfStopped(&stop);
    api::warnIfFewImages(st.reference, warnings);
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
