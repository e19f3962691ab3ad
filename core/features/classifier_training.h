// SPDX-License-Identifier: GPL-3.0-or-later
// Training a feature classifier (core/features/feature_classifier.h) on labelled images held in
// memory: AdamW with a linear warm-up and a cosine decay, label smoothing, random horizontal
// flips; deterministic for a seed on a given machine and thread count.
#pragma once
#include "core/api/job_sink.h"
#include "core/features/feature_classifier.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

namespace ds::fid {
class BuiltinReference;
}

namespace ds::features {

// Images already in the classifier's input convention.
struct LabelledImages {
    torch::Tensor images;  // (N, C, S, S) uint8
    torch::Tensor labels;  // (N) int64

    int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

// The first `limit` images (0: all) of a built-in set, converted as the FID engine converts
// every image for `config` (fid::toNetworkInput), with their labels. Throws ds::Cancelled when
// stopped.
LabelledImages builtinImages(const fid::BuiltinReference& set, const ClassifierConfig& config, int64_t limit,
                             const StopToken* stop = nullptr);

struct ClassifierTrainOptions {
    int epochs = 5;  // 92.7 % test accuracy on Fashion-MNIST (docs/feature-networks.md)
    int batchSize = 128;
    double learningRate = 2e-3;  // AdamW's peak rate
    double weightDecay = 5e-4;
    int warmupSteps = 100;  // linear warm-up (at most a tenth of the steps), then cosine decay to 0
    double labelSmoothing = 0.1;
    bool flip = true;            // random horizontal flips (Fashion-MNIST's classes are mirror-symmetric)
    uint64_t seed = 0;           // initial weights, order, flips, dropout
    bool shuffleLabels = false;  // a negative control: labels permuted across images before training
    torch::Device device = torch::kCPU;
};

struct EpochReport {
    int epoch = 0;  // 1-based
    int epochs = 0;
    double loss = 0.0;           // mean training loss of the epoch
    double trainAccuracy = 0.0;  // on the epoch's (augmented) batches, in training mode
    double seconds = 0.0;        // since training started
};

// Trains a new network of `config` on `data`. onStep(stepsDone, totalSteps) after every batch,
// onEpoch after every epoch. Returns the network in eval mode. Throws ds::Cancelled when stopped.
FeatureClassifier trainClassifier(const LabelledImages& data, const ClassifierConfig& config,
                                  const ClassifierTrainOptions& options,
                                  const std::function<void(int64_t, int64_t)>& onStep,
                                  const std::function<void(const EpochReport&)>& onEpoch, const StopToken* stop);

// The share of `data` the network classifies right (eval mode, no gradients).
double classifierAccuracy(FeatureClassifier& net, const LabelledImages& data, int batchSize = 500,
                          const StopToken* stop = nullptr);

// The features of `images` ((N, C, S, S) uint8), (N, featureDim) float on the CPU.
torch::Tensor classifierFeatures(FeatureClassifier& net, const torch::Tensor& images, int batchSize = 500);

}  // namespace ds::features
