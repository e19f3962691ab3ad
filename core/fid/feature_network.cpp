// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/feature_network.h"

#include "core/util/error.h"

namespace ds::fid {

namespace {

class InceptionFeatures final : public FeatureNetwork {
public:
    InceptionFeatures(FidInception net, int dims) : net_(std::move(net)), dims_(dims) {
        if (!FidInceptionImpl::isSupportedDims(dims))
            throw Error("unsupported --dims " + std::to_string(dims) + " (expected 64, 192, 768 or 2048)");
    }
    NetworkInput input() const override { return {3, 0}; }
    int dims() const override { return dims_; }
    FeatureSpace space() const override { return {}; }
    torch::Tensor features(const torch::Tensor& images) const override { return net_->features(images, dims_); }

private:
    FidInception net_;
    int dims_;
};

class ClassifierFeatures final : public FeatureNetwork {
public:
    ClassifierFeatures(features::FeatureClassifier net, FeatureSpace space)
        : net_(std::move(net)), space_(std::move(space)) {
        net_->eval();
    }
    NetworkInput input() const override { return {net_->config().inputChannels, net_->config().inputSize}; }
    int dims() const override { return net_->config().featureDim; }
    FeatureSpace space() const override { return space_; }
    torch::Tensor features(const torch::Tensor& images) const override {
        // forward() of torch::nn modules is not const; the network is only read here.
        return const_cast<features::FeatureClassifierImpl&>(*net_).features(images);
    }

private:
    features::FeatureClassifier net_;
    FeatureSpace space_;
};

}  // namespace

std::shared_ptr<const FeatureNetwork> inceptionFeatures(FidInception net, int dims) {
    return std::make_shared<InceptionFeatures>(std::move(net), dims);
}

std::shared_ptr<const FeatureNetwork> classifierFeatures(features::FeatureClassifier net, FeatureSpace space) {
    return std::make_shared<ClassifierFeatures>(std::move(net), std::move(space));
}

}  // namespace ds::fid
