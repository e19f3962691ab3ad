// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/image_source.h"

#include "core/util/error.h"

namespace ds::data {

void validateTransform(const ImageTransform& transform) {
    if (transform.size <= 0) throw Error("image size must be positive, got " + std::to_string(transform.size));
    if (transform.channels != 1 && transform.channels != 3)
        throw Error("image channels must be 1 or 3, got " + std::to_string(transform.channels));
}

std::string describeTransform(const ImageTransform& transform) {
    return std::to_string(transform.size) + "x" + std::to_string(transform.size) + " " +
           (transform.channels == 1 ? "gray" : "RGB") + ", shorter side resized then centre-cropped";
}

// Out of line so that the vtable has one home.
ImageSource::~ImageSource() = default;

int64_t ImageSource::label(size_t /*index*/) const {
    throw Error(describe() +
                " has no labels: class-conditional training takes Fashion-MNIST, a folder of class "
                "sub-folders, or several LMDBs (one class each)");
}

}  // namespace ds::data
