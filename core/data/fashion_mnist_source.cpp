// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/fashion_mnist_source.h"

#include "core/data/idx_file.h"
#include "core/data/image_conversion.h"
#include "core/util/error.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>

namespace ds::data {
namespace {

constexpr size_t kImageBytes = size_t(FashionMnistSource::kSide) * FashionMnistSource::kSide;

size_t expectedCount(const std::string& split) {
    if (split == "train") return FashionMnistSource::kTrainCount;
    if (split == "test") return FashionMnistSource::kTestCount;
    throw Error("Fashion-MNIST split must be \"train\" or \"test\", got \"" + split + "\"");
}

// <directory>/<stem>.gz, or the same file already decompressed.
std::string datasetFile(const std::string& directory, const std::string& stem) {
    const std::filesystem::path base = std::filesystem::path(directory) / stem;
    const std::string compressed = base.string() + ".gz";
    std::error_code ignored;
    if (!std::filesystem::exists(compressed, ignored) && std::filesystem::exists(base, ignored)) return base.string();
    if (!std::filesystem::exists(compressed, ignored))
        throw fileError(compressed,
                        "not found (Debian: apt install dataset-fashion-mnist, or set DS_FASHION_MNIST_DIR)");
    return compressed;
}

std::string imagesPath(const std::string& directory, const std::string& split) {
    return datasetFile(directory, split == "train" ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
}

}  // namespace

FashionMnistSource::FashionMnistSource(const std::string& directory, const std::string& split, ImageTransform transform)
    : split_(split), transform_(transform) {
    validateTransform(transform_);
    const size_t count = expectedCount(split);
    path_ = imagesPath(directory, split);
    IdxImages images = readIdxImages(path_, count, kSide, kSide);
    count_ = images.count;
    pixels_ = std::move(images.pixels);
    // The labels only matter to class-conditional runs: without them, the reason is kept for
    // label() to give.
    try {
        labels_ = readLabels(directory, split);
    } catch (const Error& e) {
        labelsProblem_ = e.what();
    }
}

std::vector<std::string> FashionMnistSource::classNames() const {
    if (labels_.empty()) return {};
    return {kClassNames.begin(), kClassNames.end()};
}

int64_t FashionMnistSource::label(size_t index) const {
    if (labels_.empty()) throw Error("Fashion-MNIST's labels cannot be read: " + labelsProblem_);
    if (index >= labels_.size())
        throw Error("Fashion-MNIST index " + std::to_string(index) + " out of range (" +
                    std::to_string(labels_.size()) + " labels)");
    return labels_[index];
}

const std::array<const char*, FashionMnistSource::kClassCount> FashionMnistSource::kClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

std::vector<uint8_t> FashionMnistSource::readLabels(const std::string& directory, const std::string& split) {
    const size_t count = expectedCount(split);
    return readIdxLabels(
        datasetFile(directory, split == "train" ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte"), count,
        kClassCount);
}

std::string FashionMnistSource::defaultDirectory() {
    const char* fromEnvironment = std::getenv("DS_FASHION_MNIST_DIR");
    if (fromEnvironment && *fromEnvironment) return fromEnvironment;
    return "/usr/share/datasets/fashion-mnist";
}

size_t FashionMnistSource::size() const { return count_; }

const uint8_t* FashionMnistSource::rawImage(size_t index) const {
    if (index >= count_)
        throw Error("Fashion-MNIST index " + std::to_string(index) + " out of range (" + std::to_string(count_) +
                    " images)");
    return pixels_.data() + index * kImageBytes;
}

api::Image FashionMnistSource::load(size_t index) const {
    // cv::Mat only reads through this pointer; the constructor merely wants a non-const one.
    const cv::Mat stored(kSide, kSide, CV_8U, const_cast<uint8_t*>(rawImage(index)));
    const int border = (kPaddedSide - kSide) / 2;
    cv::Mat framed;
    cv::copyMakeBorder(stored, framed, border, border, border, border, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::Mat sized = framed;
    if (transform_.size != kPaddedSide) {
        const int interpolation = transform_.size < kPaddedSide ? cv::INTER_AREA : cv::INTER_LINEAR;
        cv::resize(framed, sized, cv::Size(transform_.size, transform_.size), 0, 0, interpolation);
    }
    return toApiImage(toModelChannels(sized, transform_.channels));
}

ImageTransform FashionMnistSource::transform() const { return transform_; }

std::string FashionMnistSource::describe() const {
    return "Fashion-MNIST " + split_ + " (" + std::to_string(count_) + " images, 28x28 padded to 32x32" +
           (transform_.size == kPaddedSide ? "" : " then resized to " + std::to_string(transform_.size)) + ", " +
           std::to_string(transform_.channels) + (transform_.channels == 1 ? " channel)" : " channels)");
}

}  // namespace ds::data
