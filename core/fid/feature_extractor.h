// SPDX-License-Identifier: GPL-3.0-or-later
// Images -> features of a FeatureNetwork (pytorch-fid's Inception or a feature classifier),
// batch by batch like pytorch-fid: each batch is decoded on a pool of threads while the network
// runs on the previous one, stacked into one tensor and passed through the network (Inception
// resizes each batch to 299x299 in one interpolate call).
#pragma once
#include "core/fid/feature_network.h"
#include "core/fid/fid_inception.h"
#include "core/util/stop_token.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ds::fid {

struct ExtractionOptions {
    int dims = 2048;  // Inception's block (FidInception constructor only)
    int batchSize = 50;
    int numWorkers = 0;  // decoding threads; 0: the cores, at most 8 (pytorch-fid's default)
    int resize = 0;      // 0: every image must have the first one's size (unless the network takes
                         // a fixed size); S: each resized to S x S first
};

// Where images come from: files (decoded as pytorch-fid does) or images held in memory (the
// built-in data sets). `rgb(i)` gives image i as 8-bit RGB and is called from several threads;
// it throws ds::Error naming the image.
struct ImageList {
    size_t count = 0;
    std::function<cv::Mat(size_t)> rgb;
    std::function<std::string(size_t)> name;  // for messages

    static ImageList files(const std::vector<std::string>& files);
};

class FeatureExtractor {
public:
    FeatureExtractor(std::shared_ptr<const FeatureNetwork> net, torch::Device device, ExtractionOptions options);
    // pytorch-fid's Inception at options.dims.
    FeatureExtractor(FidInception net, torch::Device device, ExtractionOptions options);

    // (count, dims) float32 on the CPU, rows in the order of the images. onBatch(imagesDone)
    // runs after each batch. Throws ds::Error naming an image that cannot be decoded or whose
    // size differs from the first one's (Inception without --resize), ds::Cancelled when stopped.
    torch::Tensor extract(const ImageList& images, const std::function<void(int64_t)>& onBatch,
                          const StopToken* stop) const;
    torch::Tensor extract(const std::vector<std::string>& files, const std::function<void(int64_t)>& onBatch,
                          const StopToken* stop) const;

    const ExtractionOptions& options() const { return options_; }
    const FeatureNetwork& network() const { return *net_; }

private:
    // (end - begin, C, H, W) float in [0, 1], as torchvision's ToTensor makes it.
    torch::Tensor decodeBatch(const ImageList& images, size_t begin, size_t end, const cv::Size& expected,
                              const StopToken* stop) const;
    cv::Mat prepare(const ImageList& images, size_t i) const;
    cv::Size firstImageSize(const ImageList& images) const;

    std::shared_ptr<const FeatureNetwork> net_;
    NetworkInput input_;
    torch::Device device_;
    ExtractionOptions options_;
    int threads_;
};

}  // namespace ds::fid
