// SPDX-License-Identifier: GPL-3.0-or-later
// `classify FOLDER`: a feature classifier's predictions for generated images against the class
// each PNG records (core/api/classify.h).
#include "core/api/classify.h"
#include "core/api/feature_network.h"
#include "core/features/classifier_file.h"
#include "core/fid/fid_image_decoder.h"
#include "core/fid/image_folder_listing.h"
#include "core/io/png_file.h"
#include "core/util/device.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <chrono>
#include <optional>

namespace ds::api {

namespace {

// The class a sample PNG records (ds.class), if any.
std::optional<int64_t> recordedClass(const std::string& file) {
    for (const auto& [key, value] : io::readPngText(file))
        if (key == "ds.class") {
            try {
                size_t used = 0;
                const long long k = std::stoll(value, &used);
                if (used == value.size()) return k;
            } catch (const std::exception&) {
            }
            throw fileError(file, "its ds.class entry '" + value + "' is not a class number");
        }
    return std::nullopt;
}

}  // namespace

ClassifyResult classifyImages(const ClassifyRequest& r, JobSink& sink, const StopToken& stop) {
    const auto start = std::chrono::steady_clock::now();
    if (r.batchSize < 1) throw Error("--batch-size must be at least 1");
    const std::string path = r.classifier == "fashion-mnist" ? defaultClassifierPath("fashion-mnist") : r.classifier;
    const auto file = features::readClassifierFile(path);
    const auto device = parseDevice(r.device);
    auto net = features::buildClassifier(file, device);
    net->eval();
    const auto& config = file.record.config;
    const auto files = fid::listFidImages(r.folder);

    ClassifyResult result;
    result.images = int64_t(files.size());
    result.classNames = file.record.classes;
    result.classifierLabel = file.record.label();
    result.classifierTestAccuracy = file.record.testAccuracy;
    const int64_t k = config.classes;
    result.perClassImages.assign(size_t(k), 0);
    result.perClassCorrect.assign(size_t(k), 0);
    result.confusion.assign(size_t(k), std::vector<int64_t>(size_t(k), 0));

    const ProgressMeter meter(result.images, "images");
    torch::NoGradGuard noGrad;
    for (size_t begin = 0; begin < files.size(); begin += size_t(r.batchSize)) {
        throwIfStopped(&stop);
        const size_t end = std::min(files.size(), begin + size_t(r.batchSize));
        std::vector<torch::Tensor> inputs;
        std::vector<int64_t> asked;
        for (size_t i = begin; i < end; ++i) {
            const auto label = recordedClass(files[i]);
            if (!label) continue;
            if (*label < 0 || *label >= k)
                throw fileError(files[i], "records class " + std::to_string(*label) + "; the classifier knows 0.." +
                                              std::to_string(k - 1));
            const cv::Mat input =
                fid::toNetworkInput(fid::decodeFidImage(files[i]), config.inputChannels, config.inputSize);
            auto t = torch::from_blob(input.data, {input.rows, input.cols, input.channels()}, torch::kUInt8)
                         .permute({2, 0, 1})
                         .to(torch::kFloat)
                         .div(255.0);
            inputs.push_back(t);
            asked.push_back(*label);
        }
        if (!inputs.empty()) {
            const auto predicted = net->forward(torch::stack(inputs).to(device)).argmax(1).cpu();
            const auto* p = predicted.data_ptr<int64_t>();
            for (size_t j = 0; j < asked.size(); ++j) {
                ++result.perClassImages[size_t(asked[j])];
                ++result.confusion[size_t(asked[j])][size_t(p[j])];
                if (p[j] == asked[j]) {
                    ++result.correct;
                    ++result.perClassCorrect[size_t(asked[j])];
                }
            }
            result.labelled += int64_t(asked.size());
        }
        sink.onProgress(meter.at(int64_t(end)));
    }
    if (result.labelled == 0)
        throw fileError(r.folder,
                        "holds no image recording its class (ds.class): sample a class-conditional "
                        "checkpoint with --out-dir to get one");
    result.accuracy = double(result.correct) / double(result.labelled);
    result.seconds = secondsSince(start);
    return result;
}

}  // namespace ds::api
