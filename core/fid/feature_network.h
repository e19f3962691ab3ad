// SPDX-License-Identifier: GPL-3.0-or-later
// The network whose features a Fréchet distance compares: pytorch-fid's Inception (FID
// proper) or a feature classifier trained on the data set (core/features; issue 17), behind one
// interface for the feature extractor. A network names its feature space: statistics of two
// spaces are never compared.
#pragma once
#include "core/features/feature_classifier.h"
#include "core/fid/fid_inception.h"

#include <torch/torch.h>

#include <memory>
#include <string>

namespace ds::fid {

// pytorch-fid's Inception: what statistics without a feature_space entry (pytorch-fid's,
// lucidrains') hold.
constexpr const char* kInceptionSpaceId = "pytorch-fid inception";
// The name of the text entry holding the feature space in statistics files and cache entries.
constexpr const char* kFeatureSpaceEntry = "feature_space";

struct FeatureSpace {
    std::string id = kInceptionSpaceId;  // a classifier's: see ClassifierFile::featureSpaceId()
    std::string label = "Inception";     // "fashion-mnist classifier, 128-d"
    bool isInception() const { return id == kInceptionSpaceId; }
};

// How a decoded image (8-bit RGB) is handed to a network, after the optional --resize.
struct NetworkInput {
    int channels = 3;  // 3: RGB as decoded; 1: gray (BT.601)
    int size = 0;      // 0: as decoded (one size per folder; the network resizes); S: each image to S x S
};

class FeatureNetwork {
public:
    virtual ~FeatureNetwork() = default;
    virtual NetworkInput input() const = 0;
    virtual int dims() const = 0;
    virtual FeatureSpace space() const = 0;
    // images: (N, channels, H, W) float pixel / 255 on the network's device. Returns (N, dims).
    virtual torch::Tensor features(const torch::Tensor& images) const = 0;
};

// pytorch-fid's Inception (prepared for inference), read at `dims` (64, 192, 768 or 2048).
std::shared_ptr<const FeatureNetwork> inceptionFeatures(FidInception net, int dims);

// A feature classifier (in eval mode) whose features are those of the space `space`.
std::shared_ptr<const FeatureNetwork> classifierFeatures(features::FeatureClassifier net, FeatureSpace space);

}  // namespace ds::fid
