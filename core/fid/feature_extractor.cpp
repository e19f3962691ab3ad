// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/feature_extractor.h"

#include "core/data/parallel_for.h"
#include "core/fid/fid_image_decoder.h"
#include "core/util/error.h"

#include <cstring>
#include <future>

namespace ds::fid {

namespace {

std::string sizeText(const cv::Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

}  // namespace

ImageList ImageList::files(const std::vector<std::string>& files) {
    ImageList list;
    list.count = files.size();
    list.rgb = [&files](size_t i) { return decodeFidImage(files[i]); };
    list.name = [&files](size_t i) { return files[i]; };
    return list;
}

FeatureExtractor::FeatureExtractor(std::shared_ptr<const FeatureNetwork> net, torch::Device device,
                                   ExtractionOptions options)
    : net_(std::move(net)), input_(net_->input()), device_(device), options_(options),
      threads_(data::chooseThreadCount(options.numWorkers, 1, 8)) {
    if (options_.batchSize < 1) throw Error("--batch-size must be at least 1");
    if (options_.resize < 0) throw Error("--resize must be positive");
}

FeatureExtractor::FeatureExtractor(FidInception net, torch::Device device, ExtractionOptions options)
    : FeatureExtractor(inceptionFeatures(std::move(net), options.dims), device, options) {}

cv::Mat FeatureExtractor::prepare(const ImageList& images, size_t i) const {
    cv::Mat rgb = images.rgb(i);
    if (options_.resize > 0) rgb = resizeSquare(rgb, options_.resize);
    return toNetworkInput(rgb, input_.channels, input_.size);
}

cv::Size FeatureExtractor::firstImageSize(const ImageList& images) const {
    if (input_.size > 0) return cv::Size(input_.size, input_.size);
    if (options_.resize > 0) return cv::Size(options_.resize, options_.resize);
    return images.rgb(0).size();
}

torch::Tensor FeatureExtractor::decodeBatch(const ImageList& images, size_t begin, size_t end, const cv::Size& expected,
                                            const StopToken* stop) const {
    const auto count = int64_t(end - begin);
    const int channels = input_.channels;
    auto batch = torch::empty({count, expected.height, expected.width, channels}, torch::kUInt8);
    const size_t imageBytes = size_t(expected.area()) * size_t(channels);
    data::parallelFor(
        end - begin, threads_,
        [&](size_t i) {
            cv::Mat image = prepare(images, begin + i);
            if (image.size() != expected)
                throw fileError(images.name(begin + i),
                                "image is " + sizeText(image.size()) + " but the first image of its folder (" +
                                    images.name(0) + ") is " + sizeText(expected) +
                                    "; pytorch-fid needs one size per folder: pass --resize S to resize all to S x S");
            if (!image.isContinuous()) image = image.clone();
            std::memcpy(batch[int64_t(i)].data_ptr<uint8_t>(), image.data, imageBytes);
        },
        stop);
    return batch.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255).contiguous();
}

torch::Tensor FeatureExtractor::extract(const ImageList& images, const std::function<void(int64_t)>& onBatch,
                                        const StopToken* stop) const {
    if (images.count == 0) throw Error("no images to extract features from");
    c10::InferenceMode inference;
    const cv::Size expected = firstImageSize(images);
    const size_t batchSize = size_t(options_.batchSize);
    const auto decodeAsync = [&](size_t begin) {
        const size_t end = std::min(images.count, begin + batchSize);
        return std::async(std::launch::async, [=, &images] { return decodeBatch(images, begin, end, expected, stop); });
    };

    std::vector<torch::Tensor> features;
    auto next = decodeAsync(0);
    for (size_t begin = 0; begin < images.count; begin += batchSize) {
        torch::Tensor batch = next.get();
        if (begin + batchSize < images.count) next = decodeAsync(begin + batchSize);  // overlaps the network
        throwIfStopped(stop);
        features.push_back(net_->features(batch.to(device_)).to(torch::kCPU));
        if (onBatch) onBatch(int64_t(std::min(images.count, begin + batchSize)));
    }
    return torch::cat(features);
}

torch::Tensor FeatureExtractor::extract(const std::vector<std::string>& files,
                                        const std::function<void(int64_t)>& onBatch, const StopToken* stop) const {
    return extract(ImageList::files(files), onBatch, stop);
}

}  // namespace ds::fid
