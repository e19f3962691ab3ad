// SPDX-License-Identifier: GPL-3.0-or-later
// The file of a feature classifier (core/features/feature_classifier.h): a PyTorch zip file, as
// torch.save writes a dict, that torch.load(path, weights_only=True) opens, PyTorch 1.13's
// too: its only globals are OrderedDict and the tensor rebuild functions, and its numbers that
// are not integers are 0-d float64 tensors (1.13 refuses pickled floats). It holds the
// weights, the architecture (as values and in words), the input convention, the feature
// dimension, the class names and the test accuracy measured when it was trained. Its SHA-256 names its feature space,
// so that statistics of two different networks are never compared.
#pragma once
#include "core/checkpoint/state_dict.h"
#include "core/features/feature_classifier.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::features {

constexpr const char* kClassifierFormat = "diffusion-studio feature classifier";
constexpr int kClassifierFormatVersion = 1;

// How images become the classifier's input, in words (written into the file and the docs).
extern const char* const kClassifierInputConvention;

struct ClassifierRecord {
    std::string dataset = "fashion-mnist";  // the data set it was trained on
    ClassifierConfig config;
    std::vector<std::string> classes;  // names, in label order
    double testAccuracy = -1.0;        // on `testImages` held-out images; -1 unknown
    int64_t testImages = 0;
    nlohmann::json training = nlohmann::json::object();  // epochs, seed, images, seconds...

    // "fashion-mnist classifier, 128-d": how the CLI and the app name the feature space.
    std::string label() const;
};

struct ClassifierFile {
    std::string path;
    std::string sha256;  // of the file's bytes
    ClassifierRecord record;
    checkpoint::StateDict weights;

    // The label and the first 16 hex digits of the SHA-256, e.g.
    // "fashion-mnist classifier, 128-d (sha256 0123456789abcdef)": what statistics files and the
    // statistics cache record, so that only statistics of this very network are compared.
    std::string featureSpaceId() const;
};

// Where `train-classifier` puts the classifier of `dataset` and `fid --features DATASET` finds it:
// $XDG_CACHE_HOME (else ~/.cache)/diffusion-studio/features/<dataset>-classifier.pt.
std::string defaultClassifierPath(const std::string& dataset);

// Writes `net` (its parameters and BatchNorm statistics) with `record` atomically.
void writeClassifierFile(const std::string& path, FeatureClassifier& net, const ClassifierRecord& record);

// Reads and checks a classifier file. Throws ds::Error "path: problem" when it is missing, not a
// PyTorch file, or not a feature classifier of a version we read.
ClassifierFile readClassifierFile(const std::string& path);

// The network with the file's weights (strict), in eval mode, on `device`.
FeatureClassifier buildClassifier(const ClassifierFile& file, torch::Device device = torch::kCPU);

}  // namespace ds::features
