// SPDX-License-Identifier: GPL-3.0-or-later
// The seam between where training images come from (Fashion-MNIST, an image folder, later an
// LSUN LMDB) and the background loader that batches them.
#pragma once
#include "core/api/image.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ds::data {

// What every source delivers: square images of `size` pixels, 1 (gray) or 3 (RGB) channels.
struct ImageTransform {
    int size = 32;
    int channels = 1;
};

// Throws ds::Error unless size > 0 and channels is 1 or 3 (the model channel counts).
void validateTransform(const ImageTransform& transform);

// "64x64 RGB, shorter side resized then centre-cropped": for describe().
std::string describeTransform(const ImageTransform& transform);

class ImageSource {
public:
    virtual ~ImageSource();

    // Number of images; indices run over 0..size()-1 and stay fixed for the source's lifetime.
    virtual size_t size() const = 0;

    // The image at `index`, already converted to transform(): transform().size squared,
    // transform().channels channels, 8-bit, HWC. Thread-safe: the loader calls it from several
    // worker threads at once. Throws ds::Error naming the file when it cannot deliver.
    virtual api::Image load(size_t index) const = 0;

    // The shape load() returns.
    virtual ImageTransform transform() const = 0;

    // One line for logs and the run's config, e.g. "Fashion-MNIST train (60000 images)".
    virtual std::string describe() const = 0;

    // Class-conditional training: the classes in label order (empty: the source has no labels)
    // and the label of image `index`, in [0, classNames().size()).
    virtual std::vector<std::string> classNames() const { return {}; }
    virtual int64_t label(size_t index) const;
};

}  // namespace ds::data
