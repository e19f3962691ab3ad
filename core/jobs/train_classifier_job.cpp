// SPDX-License-Identifier: GPL-3.0-or-later
// `train-classifier`: a feature classifier on Fashion-MNIST, its test accuracy, its file.
#include "core/api/feature_network.h"
#include "core/data/fashion_mnist_source.h"
#include "core/features/classifier_file.h"
#include "core/features/classifier_training.h"
#include "core/fid/builtin_reference.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace ds::api {

namespace {

namespace fs = std::filesystem;

std::string percent(double share) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f %%", 100.0 * share);
    return text;
}

}  // namespace

std::string defaultClassifierPath(const std::string& data) { return features::defaultClassifierPath(data); }

ClassifierTrainResult trainClassifier(const ClassifierTrainRequest& r, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    if (r.data != "fashion-mnist")
        throw Error("--data " + r.data + ": the only data set with a built-in classifier so far is fashion-mnist");
    if (r.epochs < 0) throw Error("--epochs must be at least 1");
    if (r.trainImages < 0 || r.testImages < 0) throw Error("image counts must be positive");
    features::ClassifierTrainOptions options;
    if (r.epochs > 0) options.epochs = r.epochs;
    options.batchSize = r.batchSize;
    options.seed = r.seed;
    options.shuffleLabels = r.shuffleLabels;
    options.device = parseDevice(r.device);
    const features::ClassifierConfig config;
    const std::string out = r.out.empty() ? features::defaultClassifierPath(r.data) : r.out;

    sink.onLog("reading Fashion-MNIST and converting it as the FID engine converts images (28x28 gray)");
    const fid::BuiltinReference trainSet("fashion-mnist-train", r.dataDir);
    const fid::BuiltinReference testSet("fashion-mnist-test", r.dataDir);
    const auto train = features::builtinImages(trainSet, config, r.trainImages, &stop);
    const auto test = features::builtinImages(testSet, config, r.testImages, &stop);
    sink.onLog("training on " + std::to_string(train.size()) + " images for " + std::to_string(options.epochs) +
               " epochs" + (r.shuffleLabels ? " with shuffled labels (negative control)" : ""));

    std::unique_ptr<ProgressMeter> steps;
    double lastLoss = 0.0;
    const auto trainStart = std::chrono::steady_clock::now();
    auto net = features::trainClassifier(
        train, config, options,
        [&](int64_t done, int64_t total) {
            if (!steps) steps = std::make_unique<ProgressMeter>(total, "batches");
            sink.onProgress(steps->at(done));
        },
        [&](const features::EpochReport& e) {
            lastLoss = e.loss;
            char line[160];
            std::snprintf(line, sizeof line, "epoch %d/%d: loss %.4f, training accuracy %s, %.0f s", e.epoch, e.epochs,
                          e.loss, percent(e.trainAccuracy).c_str(), e.seconds);
            sink.onLog(line);
        },
        &stop);
    const double trainSeconds = secondsSince(trainStart);

    sink.onLog("measuring the accuracy on " + std::to_string(test.size()) + " test images");
    const double accuracy = features::classifierAccuracy(net, test, 500, &stop);
    throwIfStopped(&stop);

    features::ClassifierRecord record;
    record.dataset = r.data;
    record.config = config;
    for (const char* name : data::FashionMnistSource::kClassNames) record.classes.emplace_back(name);
    record.testAccuracy = accuracy;
    record.testImages = test.size();
    record.training = {
        {"data", "fashion-mnist-train (the first " + std::to_string(train.size()) + " images)"},
        {"train_images", train.size()},
        {"epochs", options.epochs},
        {"batch_size", options.batchSize},
        {"optimizer", "AdamW"},
        {"learning_rate", options.learningRate},
        {"weight_decay", options.weightDecay},
        {"schedule", "linear warm-up over " + std::to_string(options.warmupSteps) + " steps, then cosine decay to 0"},
        {"label_smoothing", options.labelSmoothing},
        {"augmentation", options.flip ? "random horizontal flip" : "none"},
        {"seed", options.seed},
        {"shuffled_labels", options.shuffleLabels},
        {"seconds", trainSeconds},
        {"program", std::string("diffusion-studio ") + DS_VERSION}};

    std::error_code ec;
    const auto parent = fs::path(out).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) throw fileError(parent.string(), "cannot create the folder: " + ec.message());
    features::writeClassifierFile(out, net, record);
    const auto written = features::readClassifierFile(out);

    ClassifierTrainResult result;
    result.path = out;
    result.testAccuracy = accuracy;
    result.trainImages = train.size();
    result.testImages = test.size();
    result.epochs = options.epochs;
    result.featureDim = config.featureDim;
    result.finalLoss = lastLoss;
    result.trainSeconds = trainSeconds;
    result.featureSpace = written.featureSpaceId();
    result.architecture = config.describe();
    result.seconds = secondsSince(start);
    sink.onLog("test accuracy " + percent(accuracy) + " on " + std::to_string(test.size()) + " images; wrote " + out);
    return result;
}

ClassifierInfo inspectClassifier(const std::string& path) {
    const auto file = features::readClassifierFile(path);
    ClassifierInfo info;
    info.path = path;
    info.dataset = file.record.dataset;
    info.featureSpace = file.featureSpaceId();
    info.label = file.record.label();
    info.featureDim = file.record.config.featureDim;
    info.testAccuracy = file.record.testAccuracy;
    info.testImages = file.record.testImages;
    info.architecture = file.record.config.describe();
    return info;
}

}  // namespace ds::api
