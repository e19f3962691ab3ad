// SPDX-License-Identifier: GPL-3.0-or-later
// The image sets the FID engine knows by name: "fashion-mnist-test" and "fashion-mnist-train",
// Fashion-MNIST's 10,000 test and 60,000 training images (Debian's dataset-fashion-mnist, or
// $DS_FASHION_MNIST_DIR) exactly as the Train page's built-in data delivers them to a model
// (28x28 gray padded with 2 black pixels to 32x32; core/data/fashion_mnist_source.h), so that a
// model's samples and the reference enter the feature network by the same path.
#pragma once
#include "core/data/fashion_mnist_source.h"
#include "core/fid/feature_extractor.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ds::fid {

struct BuiltinReferenceInfo {
    std::string name;         // what `fid` takes in place of a path
    std::string description;  // one line
};

// The names, in the order the app lists them.
std::vector<BuiltinReferenceInfo> builtinReferences();

// Whether `path` names a built-in set (the exact name; ./fashion-mnist-test is a folder), or one
// class of it: "fashion-mnist-test:7" or "fashion-mnist-test:Sneaker" (per-class FID of
// class-conditional samples).
bool isBuiltinReference(const std::string& path);

class BuiltinReference {
public:
    // Reads the images (from `directory`, "" for FashionMnistSource::defaultDirectory()).
    // Throws ds::Error naming the missing file (and the Debian package) when absent.
    explicit BuiltinReference(const std::string& name, const std::string& directory = {});

    const std::string& name() const { return name_; }
    size_t size() const { return classIndices_ ? classIndices_->size() : source_->size(); }
    // The images as 8-bit RGB (the gray value in each channel), 32x32.
    ImageList images() const;
    // The image file and its identity (name, size, time) for the statistics cache's key.
    std::string dataFile() const { return source_->path(); }
    // The images' labels, in image order.
    std::vector<uint8_t> labels() const;

private:
    std::string name_;
    std::string directory_;
    std::shared_ptr<const data::FashionMnistSource> source_;
    std::shared_ptr<const std::vector<size_t>> classIndices_;  // one class's images (name:class), else all
};

}  // namespace ds::fid
