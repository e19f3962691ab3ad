// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/features/classifier_training.h"

#include "core/data/parallel_for.h"
#include "core/fid/builtin_reference.h"
#include "core/fid/fid_image_decoder.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstring>

namespace ds::features {

namespace F = torch::nn::functional;

LabelledImages builtinImages(const fid::BuiltinReference& set, const ClassifierConfig& config, int64_t limit,
                             const StopToken* stop) {
    const auto all = int64_t(set.size());
    const int64_t count = limit > 0 ? std::min(limit, all) : all;
    const int side = config.inputSize;
    const int channels = config.inputChannels;
    LabelledImages out;
    out.images = torch::empty({count, side, side, channels}, torch::kUInt8);
    const fid::ImageList images = set.images();
    const size_t imageBytes = size_t(side) * size_t(side) * size_t(channels);
    data::parallelFor(
        size_t(count), data::chooseThreadCount(0, 1, 8),
        [&](size_t i) {
            cv::Mat input = fid::toNetworkInput(images.rgb(i), channels, side);
            if (!input.isContinuous()) input = input.clone();
            std::memcpy(out.images[int64_t(i)].data_ptr<uint8_t>(), input.data, imageBytes);
        },
        stop);
    out.images = out.images.permute({0, 3, 1, 2}).contiguous();
    const auto labels = set.labels();
    out.labels =
        torch::from_blob(const_cast<uint8_t*>(labels.data()), {all}, torch::kUInt8).slice(0, 0, count).to(torch::kLong);
    return out;
}

namespace {

torch::Tensor asInput(const torch::Tensor& images, torch::Device device) {
    return images.to(device).to(torch::kFloat).div_(255);
}

// Warm-up over warmupSteps, but at most a tenth of a short run.
double learningRate(const ClassifierTrainOptions& o, int64_t step, int64_t total) {
    const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(o.warmupSteps, total / 10));
    if (step < warmup) return o.learningRate * double(step + 1) / double(warmup);
    const double progress = double(step - warmup) / double(std::max<int64_t>(1, total - warmup));
    return o.learningRate * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

}  // namespace

FeatureClassifier trainClassifier(const LabelledImages& data, const ClassifierConfig& config,
                                  const ClassifierTrainOptions& o, const std::function<void(int64_t, int64_t)>& onStep,
                                  const std::function<void(const EpochReport&)>& onEpoch, const StopToken* stop) {
    if (o.epochs < 1) throw Error("--epochs must be at least 1");
    if (o.batchSize < 1) throw Error("--batch-size must be at least 1");
    const int64_t n = data.size();
    if (n < 2) throw Error("a classifier needs at least two training images");
    if (data.images.size(1) != config.inputChannels || data.images.size(2) != config.inputSize)
        throw Error("training images do not match the classifier's input");

    torch::manual_seed(o.seed);  // initial weights and dropout
    at::Generator gen = at::detail::createCPUGenerator(o.seed ^ 0x5eedf00dULL);
    FeatureClassifier net(config);
    net->to(o.device);
    net->train();
    torch::Tensor labels = data.labels;
    if (o.shuffleLabels) labels = labels.index_select(0, torch::randperm(n, gen, torch::kLong));

    torch::optim::AdamW optimizer(net->parameters(),
                                  torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay));
    const int64_t perEpoch = (n + o.batchSize - 1) / o.batchSize;
    const int64_t total = perEpoch * o.epochs;
    const auto start = std::chrono::steady_clock::now();
    int64_t step = 0;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto order = torch::randperm(n, gen, torch::kLong);
        double lossSum = 0.0;
        int64_t correct = 0;
        for (int64_t begin = 0; begin < n; begin += o.batchSize) {
            throwIfStopped(stop);
            const auto index = order.slice(0, begin, std::min(n, begin + o.batchSize));
            auto x = asInput(data.images.index_select(0, index), o.device);
            const auto y = labels.index_select(0, index).to(o.device);
            if (o.flip) {
                const auto mirror = (torch::rand({x.size(0), 1, 1, 1}, gen) < 0.5).to(o.device);
                x = torch::where(mirror, x.flip({3}), x);
            }
            for (auto& group : optimizer.param_groups())
                static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learningRate(o, step, total));
            const auto logits = net->forward(x);
            const auto loss =
                F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().label_smoothing(o.labelSmoothing));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum += loss.item<double>() * double(index.size(0));
            correct += (logits.argmax(1) == y).sum().item<int64_t>();
            ++step;
            if (onStep) onStep(step, total);
        }
        if (onEpoch) {
            onEpoch({epoch, o.epochs, lossSum / double(n), double(correct) / double(n), secondsSince(start)});
        }
    }
    net->eval();
    return net;
}

double classifierAccuracy(FeatureClassifier& net, const LabelledImages& data, int batchSize, const StopToken* stop) {
    if (data.size() == 0) throw Error("no images to measure the accuracy on");
    net->eval();
    c10::InferenceMode inference;
    const auto device = net->parameters().front().device();
    int64_t correct = 0;
    for (int64_t begin = 0; begin < data.size(); begin += batchSize) {
        throwIfStopped(stop);
        const int64_t end = std::min(data.size(), begin + batchSize);
        const auto logits = net->forward(asInput(data.images.slice(0, begin, end), device));
        correct += (logits.argmax(1).cpu() == data.labels.slice(0, begin, end)).sum().item<int64_t>();
    }
    return double(correct) / double(data.size());
}

torch::Tensor classifierFeatures(FeatureClassifier& net, const torch::Tensor& images, int batchSize) {
    net->eval();
    c10::InferenceMode inference;
    const auto device = net->parameters().front().device();
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < images.size(0); begin += batchSize)
        parts.push_back(
            net->features(asInput(images.slice(0, begin, std::min(images.size(0), begin + batchSize)), device)).cpu());
    return torch::cat(parts);
}

}  // namespace ds::features
