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

namespace {

// "fashion-mnist-test:7" -> ("fashion-mnist-test", "7"); no colon: (name, "").
std::pair<std::string, std::string> splitClass(const std::string& name) {
    const auto colon = name.find(':');
    if (colon == std::string::npos) return {name, {}};
    return {name.substr(0, colon), name.substr(colon + 1)};
}

// The label a class suffix names (a number or a class name); nullopt when it names none.
std::optional<uint8_t> classOf(const std::string& suffix) {
    const auto& names = data::FashionMnistSource::kClassNames;
    for (size_t k = 0; k < names.size(); ++k)
        if (suffix == names[k] || suffix == std::to_string(k)) return uint8_t(k);
    return std::nullopt;
}

}  // namespace

bool isBuiltinReference(const std::string& path) {
    // Any class suffix: an unknown class is refused by the constructor, which lists the classes.
    const std::string base = splitClass(path).first;
    return base == kTest || base == kTrain;
}

BuiltinReference::BuiltinReference(const std::string& name, const std::string& directory)
    : name_(name), directory_(directory.empty() ? data::FashionMnistSource::defaultDirectory() : directory) {
    const auto [base, suffix] = splitClass(name);
    if (!isBuiltinReference(name)) throw Error("unknown built-in image set '" + name + "'");
    const bool oneClass = name.find(':') != std::string::npos;
    if (oneClass && !classOf(suffix)) {
        std::string known;
        for (size_t k = 0; k < data::FashionMnistSource::kClassNames.size(); ++k)
            known += std::string(k ? ", " : "") + std::to_string(k) + " " + data::FashionMnistSource::kClassNames[k];
        throw Error("'" + name + "': no Fashion-MNIST class '" + suffix + "' (the classes: " + known + ")");
    }
    // The Train page's default data: 32x32 (28x28 padded), here with 3 channels holding the gray.
    source_ = std::make_shared<const data::FashionMnistSource>(
        directory_, base == kTest ? "test" : "train", data::ImageTransform{data::FashionMnistSource::kPaddedSide, 3});
    if (oneClass) {
        const uint8_t k = *classOf(suffix);
        const auto all = data::FashionMnistSource::readLabels(directory_, source_->split());
        auto indices = std::make_shared<std::vector<size_t>>();
        for (size_t i = 0; i < all.size(); ++i)
            if (all[i] == k) indices->push_back(i);
        classIndices_ = std::move(indices);
    }
}

ImageList BuiltinReference::images() const {
    ImageList list;
    list.count = size();
    list.rgb = [source = source_, indices = classIndices_](size_t i) {
        const api::Image image = source->load(indices ? (*indices)[i] : i);
        return cv::Mat(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data())).clone();
    };
    list.name = [name = name_](size_t i) { return name + " image " + std::to_string(i); };
    return list;
}

std::vector<uint8_t> BuiltinReference::labels() const {
    auto all = data::FashionMnistSource::readLabels(directory_, source_->split());
    if (!classIndices_) return all;
    std::vector<uint8_t> subset;
    for (const size_t i : *classIndices_) subset.push_back(all[i]);
    return subset;
}

}  // namespace ds::fid
