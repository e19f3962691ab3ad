// SPDX-License-Identifier: GPL-3.0-or-later
// A small convolutional classifier trained on a data set's own images and labels: its
// penultimate activations are the feature space of a Fréchet distance for data far from
// ImageNet (Fashion-MNIST), where pytorch-fid's Inception is unavailable or inapt. Layout and
// module names follow this PyTorch definition (docs/feature-networks.md), so a state_dict we
// write loads into it strictly:
//
//   blocks = Sequential(*[Conv2d(c_in, c, 3, padding=1, bias=False), MaxPool2d(2),
//                         BatchNorm2d(c), ReLU()] for each width c)   # 28 -> 14 -> 7 -> 3
//   embed  = Sequential(Flatten(), Linear(c_last * side^2, feature_dim), ReLU())
//   head   = Sequential(Dropout(p), Linear(feature_dim, classes))
//   features(x) = embed(blocks((x - mean) / std)),  logits = head(features(x))
//
// Pooling before BatchNorm and ReLU normalises a quarter of the values: with LibTorch's CPU
// kernels, BatchNorm and max pooling at 28x28, not the convolutions, dominate a training step.
//
// Input: (N, channels, size, size) float, pixel / 255 (the normalisation is inside the network).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::features {

struct ClassifierConfig {
    int inputSize = 28;                    // square input side
    int inputChannels = 1;                 // 1: gray
    std::vector<int> widths{32, 64, 128};  // one block each: conv 3x3 (no bias), 2x2 max pool, BatchNorm, ReLU
    int featureDim = 128;                  // the penultimate layer: the features
    int classes = 10;
    double dropout = 0.3;    // before the last linear layer, in training only
    double inputMean = 0.5;  // x = (pixel / 255 - mean) / std inside the network
    double inputStd = 0.5;

    // The spatial side after the blocks (28 -> 14 -> 7 -> 3 for three blocks).
    int finalSide() const;
    // Throws ds::Error for sizes and widths that make no network (e.g. pooled below 1 pixel).
    void validate() const;
    nlohmann::json toJson() const;
    static ClassifierConfig fromJson(const nlohmann::json& j);  // throws ds::Error for bad values
    // The layers in words, one line each ("blocks.0-3: Conv2d(1, 32, 3x3, pad 1, no bias) ...").
    std::string describe() const;
};

class FeatureClassifierImpl : public torch::nn::Module {
public:
    explicit FeatureClassifierImpl(ClassifierConfig config = {});

    // images: (N, C, size, size) float pixel / 255. Returns (N, featureDim): the activations
    // after the penultimate ReLU.
    torch::Tensor features(const torch::Tensor& images);
    torch::Tensor logits(const torch::Tensor& features);
    torch::Tensor forward(const torch::Tensor& images) { return logits(features(images)); }

    const ClassifierConfig& config() const { return config_; }
    int64_t parameterCount() const;

    torch::nn::Sequential blocks{nullptr}, embed{nullptr}, head{nullptr};

private:
    ClassifierConfig config_;
};
TORCH_MODULE(FeatureClassifier);

}  // namespace ds::features
