// SPDX-License-Identifier: GPL-3.0-or-later
// FID (and KID) between two image folders or statistics files, as pytorch-fid computes it: the
// job behind `diffusion-studio-cli fid`, `bench fid` and the app's FID page. Torch-free interface.
// The same job computes a Fréchet distance in the feature space of a classifier trained on the
// data set (`--features fashion-mnist`; core/api/feature_network.h), for machines without
// pytorch-fid's Inception weights.
#pragma once
#include "core/api/job_sink.h"
#include "core/api/prdc.h"
#include "core/util/stop_token.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct FidRequest {
    std::string path1;  // a folder of images, an .npz of statistics, or a built-in set
    std::string path2;  // (fashion-mnist-test, fashion-mnist-train: see builtinFidReferences)
    int dims = 0;       // Inception: 64, 192, 768 or 2048 (the block to read; 0: 2048);
                        // a classifier: 0 or its feature dimension
    // The feature network: "" pytorch-fid's Inception (an error naming both choices when its
    // weights are missing), "inception", "fashion-mnist" (the classifier `train-classifier`
    // wrote to its default place, defaultClassifierPath()), or a classifier file.
    std::string features;
    int batchSize = 50;
    int numWorkers = 0;           // image decoding threads; 0: the cores (at most 8)
    std::string device = "auto";  // auto | cpu | cuda | cuda:N
    std::string weights;          // --weights FILE; "" to search (see findInceptionWeights)
    std::string weightsSetting;   // the app's setting, searched after `weights`
    bool kid = false;             // also compute KID (needs two folders: KID uses the features)
    int kidSubsets = 100;
    int kidSubsetSize = 1000;  // capped at the smaller image count
    // Also precision/recall (torch-fidelity's, k = prdc.neighbourhood) and density/coverage
    // (clovaai's, k = prdc.nearestK) of path1 (generated) against path2 (real): two folders or
    // built-in sets, as they need the features (core/api/prdc.h).
    bool prdc = false;
    PrdcOptions prdcOptions;
    int resize = 0;               // 0: each folder's images must share one size; S: resize each to S x S first
    bool useCache = true;         // reuse/keep each folder's statistics (see cacheDir)
    std::string cacheDir;         // "": $XDG_CACHE_HOME or ~/.cache, then diffusion-studio/fid
    std::string fashionMnistDir;  // the built-in sets' files; "": $DS_FASHION_MNIST_DIR or Debian's folder
};

struct FidResult {
    double fid = 0.0;  // the Fréchet distance (FID when the features are Inception's)
    bool hasKid = false;
    double kid = 0.0;  // mean over subsets
    double kidStd = 0.0;
    bool hasPrdc = false;
    PrdcResult prdc;
    int64_t count1 = 0;  // images behind each side (0: a statistics file that does not say)
    int64_t count2 = 0;
    int dims = 0;
    std::string resizeMode;            // how images reached 299 x 299
    std::string weightsPath;           // the network file used: Inception weights or the classifier ("" when
                                       // both sides were statistics)
    bool inception = true;             // false: the features are a classifier's, the distance is no FID
    std::string featureSpace;          // "Inception" or the classifier's, e.g. "fashion-mnist classifier, 128-d"
    std::string distanceLabel;         // "FID" or e.g. "FD (fashion-mnist classifier, 128-d)"
    double classifierAccuracy = -1.0;  // the classifier's recorded test accuracy (-1: Inception, unknown)
    bool cached1 = false;              // side 1's statistics came from the cache
    bool cached2 = false;
    double seconds = 0.0;               // the whole job
    double frechetSeconds = 0.0;        // the distance alone
    std::vector<std::string> warnings;  // e.g. fewer images than dimensions
};

// Progress is reported in images over both folders (with ETA); log lines name each phase.
// Throws ds::Error for bad input (naming the file), ds::Cancelled when stopped.
FidResult runFid(const FidRequest& request, JobSink& sink, const StopToken& stop);

struct FidStatsResult {
    int64_t count = 0;
    int dims = 0;
    std::string featureSpace;  // as FidResult's
    std::string output;
    double seconds = 0.0;
    std::vector<std::string> warnings;
};

// pytorch-fid's --save-stats: the statistics of the folder (or built-in set) request.path1
// written to `output` (mu, sigma as np.savez_compressed writes them; a classifier's statistics
// also name their feature space, feature_space). Refuses to replace an existing file.
FidStatsResult saveFidStats(const FidRequest& request, const std::string& output, JobSink& sink, const StopToken& stop);

// The Inception weight file: `explicitPath` (must exist) if given, else `settingPath` if it
// exists, else pt_inception-2015-12-05-6726825d.pth in the torch hub cache ($TORCH_HOME/hub/
// checkpoints or ~/.cache/torch/hub/checkpoints). Throws ds::Error saying where to download it
// from and where to put it.
// The image sets `fid` knows by name (in place of a folder): Fashion-MNIST's test and training
// images exactly as the built-in training data delivers them (28x28 padded to 32x32).
struct BuiltinFidReference {
    std::string name;  // "fashion-mnist-test", "fashion-mnist-train"
    std::string description;
};
std::vector<BuiltinFidReference> builtinFidReferences();

std::string findInceptionWeights(const std::string& explicitPath, const std::string& settingPath = {});
std::string inceptionWeightsDownloadUrl();
std::string defaultInceptionWeightsPath();  // where the torch hub cache keeps it

struct FidBenchOptions {
    int images = 200;  // per folder, generated (random 32x32 PNGs) unless folders are given
    int imageSize = 32;
    std::string folder1, folder2;  // optional: measure these instead
    int batchSize = 50;
    int numWorkers = 0;
    int dims = 2048;
    std::string device = "cpu";
    std::string weights;  // "": the usual search; when absent, seeded random weights (same speed)
};

// JSON: feature extraction images/s, total seconds for the two folders, Fréchet seconds (for
// the folders' statistics and for full-rank 2048-d covariances, what scipy's sqrtm is timed on).
nlohmann::json benchFid(const FidBenchOptions& options, JobSink& sink, const StopToken& stop);

}  // namespace ds::api
