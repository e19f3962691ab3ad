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

FeatureExtractor::FeatureExtractor(FidInception net, torch::Device device, ExtractionOptions options)
    : net_(std::move(net)), device_(device), options_(options), threads_(data::chooseThreadCount(options.numWorkers, 1, 8)) {
    if (!FidInceptionImpl::isSupportedDims(options_.dims))
        throw Error("unsupported --dims " + std::to_string(options_.dims) + " (expected 64, 192, 768 or 2048)");
    if (options_.batchSize < 1) throw Error("--batch-size must be at least 1");
    if (options_.resize < 0) throw Error("--resize must be positive");
}

cv::Size FeatureExtractor::firstImageSize(const std::string& file) const {
    if (options_.resize > 0) return cv::Size(options_.resize, options_.resize);
    return decodeFidImage(file).size();
}

torch::Tensor FeatureExtractor::decodeBatch(const std::vector<std::string>& files, size_t begin, size_t end,
                                            const cv::Size& expected, const StopToken* stop) const {
    const auto count = int64_t(end - begin);
    auto batch = torch::empty({count, expected.height, expected.width, 3}, torch::kUInt8);
    const size_t imageBytes = size_t(expected.area()) * 3;
    data::parallelFor(end - begin, threads_, [&](size_t i) {
        const std::string& file = files[begin + i];
        cv::Mat rgb = decodeFidImage(file);
        if (options_.resize > 0) rgb = resizeSquare(rgb, options_.resize);
        if (rgb.size() != expected)
            throw fileError(file, "image is " + sizeText(rgb.size()) + " but the first image of its folder (" +
                                      files.front() + ") is " + sizeText(expected) +
                                      "; pytorch-fid needs one size per folder: pass --resize S to resize all to S x S");
        if (!rgb.isContinuous()) rgb = rgb.clone();
        std::memcpy(batch[int64_t(i)].data_ptr<uint8_t>(), rgb.data, imageBytes);
    }, stop);
    return batch.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255).contiguous();
}

torch::Tensor FeatureExtractor::extract(const std::vector<std::string>& files,
                                        const std::function<void(int64_t)>& onBatch, const StopToken* stop) const {
    if (files.empty()) throw Error("no images to extract features from");
    c10::InferenceMode inference;
    const cv::Size expected = firstImageSize(files.front());
    const size_t batchSize = size_t(options_.batchSize);
    const auto decodeAsync = [&](size_t begin) {
        const size_t end = std::min(files.size(), begin + batchSize);
        return std::async(std::launch::async, [=, &files] { return decodeBatch(files, begin, end, expected, stop); });
    };

    std::vector<torch::Tensor> features;
    auto next = decodeAsync(0);
    for (size_t begin = 0; begin < files.size(); begin += batchSize) {
        torch::Tensor images = next.get();
        if (begin + batchSize < files.size()) next = decodeAsync(begin + batchSize);  // overlaps the network
        throwIfStopped(stop);
        features.push_back(net_->features(images.to(device_), options_.dims).to(torch::kCPU));
        if (onBatch) onBatch(int64_t(std::min(files.size(), begin + batchSize)));
    }
    return torch::cat(features);
}

}  // namespace ds::fid
