// SPDX-License-Identifier: GPL-3.0-or-later
// Fashion-MNIST as shipped by Debian's dataset-fashion-mnist: the built-in default dataset.
#pragma once
#include "core/data/image_source.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ds::data {

class FashionMnistSource : public ImageSource {
public:
    static constexpr int kSide = 28;        // stored images are 28 x 28 gray
    static constexpr int kPaddedSide = 32;  // 2 black pixels on each side
    static constexpr size_t kTrainCount = 60000;
    static constexpr size_t kTestCount = 10000;
    static constexpr int kClassCount = 10;
    // The classes in label order, as Zalando names them.
    static const std::array<const char*, kClassCount> kClassNames;

    // Decodes <directory>/train-images-idx3-ubyte.gz ("train") or t10k-images-idx3-ubyte.gz
    // ("test") into memory once (47 MB for train); an uncompressed file without ".gz" is used
    // when the .gz is absent. Throws ds::Error naming the file when it is missing or invalid.
    FashionMnistSource(const std::string& directory, const std::string& split, ImageTransform transform = {});

    // $DS_FASHION_MNIST_DIR when set (systems without the Debian package), else Debian's
    // /usr/share/datasets/fashion-mnist.
    static std::string defaultDirectory();

    // The labels of a split (train-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte.gz; plain
    // files are used as for the images), one byte 0-9 per image in image order. Throws ds::Error
    // naming the file when it is missing or invalid.
    static std::vector<uint8_t> readLabels(const std::string& directory, const std::string& split);

    size_t size() const override;
    // Every target size shows the same framing: the 28 x 28 image padded to 32 x 32. At 32 the
    // pixels are exact (no resampling); other sizes resample the padded square, INTER_AREA
    // when shrinking and INTER_LINEAR when enlarging. 3 channels repeat the gray value.
    api::Image load(size_t index) const override;
    ImageTransform transform() const override;
    std::string describe() const override;
    // The ten class names when the split's label file is there (Debian ships it), else none.
    std::vector<std::string> classNames() const override;
    int64_t label(size_t index) const override;

    const std::string& path() const { return path_; }
    const std::string& split() const { return split_; }
    // The stored 28 x 28 pixels of image `index`, row-major.
    const uint8_t* rawImage(size_t index) const;

private:
    std::string path_;
    std::string split_;
    ImageTransform transform_;
    size_t count_ = 0;
    std::vector<uint8_t> pixels_;
    std::vector<uint8_t> labels_;  // empty when the label file is absent
    std::string labelsProblem_;    // why, then
};

}  // namespace ds::data
