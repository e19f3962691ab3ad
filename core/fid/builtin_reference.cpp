// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/builtin_reference.h"

#include "core/util/error.h"

namespace ds::fid {

namespace {

constexpr const char* kTest = "fashion-mnist-test";
constexpr const char* kTrain = "fashion-mnist-train";

}  // namespace

std::vector<BuiltinReferenceInfo> builtinReferences() {
    return {{kTest, "Fashion-MNIST test set: 10,000 images, 28x28 padded to 32x32 as the built-in training data"},
            {kTrain, "Fashion-MNIST training set: 60,000 images, 28x28 padded to 32x32 as the built-in training data"}};
}

bool isBuiltinReference(const std::string& path) { return path == kTest || path == kTrain; }

BuiltinReference::BuiltinReference(const std::string& name, const std::string& directory)
    : name_(name), directory_(directory.empty() ? data::FashionMnistSource::defaultDirectory() : directory) {
    if (!isBuiltinReference(name)) throw Error("unknown built-in image set '" + name + "'");
    // The Train page's default data: 32x32 (28x28 padded), here with 3 channels holding the gray.
    source_ = std::make_shared<const data::FashionMnistSource>(
        directory_, name == kTest ? "test" : "train", data::ImageTransform{data::FashionMnistSource::kPaddedSide, 3});
}

ImageList BuiltinReference::images() const {
    ImageList list;
    list.count = source_->size();
    list.rgb = [source = source_](size_t i) {
        const api::Image image = source->load(i);
        return cv::Mat(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data())).clone();
    };
    list.name = [name = name_](size_t i) { return name + " image " + std::to_string(i); };
    return list;
}

std::vector<uint8_t> BuiltinReference::labels() const {
    return data::FashionMnistSource::readLabels(directory_, source_->split());
}

}  // namespace ds::fid
