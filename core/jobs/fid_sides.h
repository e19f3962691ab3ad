// SPDX-License-Identifier: GPL-3.0-or-later
// The two sides of a feature comparison and the network between them, shared by the jobs that
// compare image sets in a feature space: `fid` (core/jobs/fid_job.cpp), FID of images generated
// in memory (generated_fid.h) and nearest neighbours (neighbours_job.cpp). A side is a folder, a
// built-in set or a statistics file; its statistics (and features, when a metric needs them)
// come from the cache or from the network, which is loaded only when some side needs it.
#pragma once
#include "core/api/fid.h"
#include "core/features/classifier_file.h"
#include "core/fid/builtin_reference.h"
#include "core/fid/feature_extractor.h"
#include "core/fid/feature_network.h"
#include "core/fid/inception_weights.h"
#include "core/fid/stats_cache.h"
#include "core/util/device.h"
#include "core/util/error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ds::jobs::fidsets {

using api::FidRequest;

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

bool namesInception(const FidRequest& r);
// KID and the PRDC metrics work on the features themselves, not on their statistics.
bool needsFeatures(const FidRequest& r);
// Throws ds::Error for options out of range.
void validate(const FidRequest& r);
// How images reach the network's input, in words.
std::string resizeMode(int resize, const fid::NetworkInput& input);
// The label of a feature space known only by its id (from a statistics file).
std::string spaceLabel(const std::string& id);
std::string describeSpace(const std::string& id);
// A statistics file of another feature space than `expected`: what to do about it.
Error spaceMismatch(const std::string& path, const std::string& found, const std::string& expected);
// A folder (listed), a built-in set or a statistics file (read); throws ds::Error naming `path`.
Side openSide(const std::string& path, const FidRequest& r);

// The feature network a request names. Its kind, file and feature space are known once
// resolved; the network itself is loaded on first need (statistics files and cached folders
// need none).
class NetworkOnDemand {
public:
    NetworkOnDemand(const FidRequest& r, api::JobSink& sink) : request_(r), sink_(sink) {}

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
                if (!std::filesystem::is_regular_file(path_, ec))
                    throw fileError(path_,
                                    "no Fashion-MNIST classifier here: train it once with diffusion-studio-cli "
                                    "train-classifier --data fashion-mnist (a few minutes on a CPU), or give "
                                    "a classifier file with --features FILE");
            } else {
                path_ = f;
                std::error_code ec;
                if (!std::filesystem::exists(path_, ec))
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
        const auto size = std::filesystem::file_size(weights, ec);
        const auto time = std::filesystem::last_write_time(weights, ec).time_since_epoch().count();
        return "dims=" + std::to_string(dims_) + ";resize=" + std::to_string(request_.resize) +
               ";weights=" + std::filesystem::path(weights).filename().string() + ":" + std::to_string(size) + ":" +
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
    api::JobSink& sink_;
    bool resolved_ = false;
    std::string path_;
    fid::FeatureSpace space_;
    int dims_ = 0;
    std::optional<features::ClassifierFile> classifier_;
    std::optional<fid::FeatureExtractor> extractor_;
};

// The feature space of the comparison, checked against every statistics file's: the network's
// when one is named or needed, else the files' own (which must agree).
std::string checkFeatureSpaces(const std::vector<const Side*>& sides, const FidRequest& r, NetworkOnDemand& network);
// The side's statistics (and its features when `withFeatures`) from the cache, if there.
void lookUpCache(Side& side, const FidRequest& r, NetworkOnDemand& network, const fid::StatsCache& cache,
                 bool withFeatures);
// Extracts features for every side still without statistics, reporting images done; keeps the
// features themselves when `withFeatures`.
void computeFeatures(std::vector<Side*> sides, const FidRequest& r, NetworkOnDemand& network,
                     const fid::StatsCache& cache, api::JobSink& sink, const StopToken& stop,
                     std::vector<std::string>& warnings, bool withFeatures);
void warnIfFewImages(const Side& side, std::vector<std::string>& warnings);

}  // namespace ds::jobs::fidsets
