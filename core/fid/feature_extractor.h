// Image files -> Inception features, batch by batch like pytorch-fid: each batch is decoded on a
// pool of threads while the network runs on the previous one, stacked into one tensor, resized
// to 299x299 in one interpolate call and passed through the network.
#pragma once
#include "core/fid/fid_inception.h"
#include "core/util/stop_token.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace ds::fid {

struct ExtractionOptions {
    int dims = 2048;
    int batchSize = 50;
    int numWorkers = 0;  // decoding threads; 0: the cores, at most 8 (pytorch-fid's default)
    int resize = 0;      // 0: every image must have the first one's size; S: each resized to S x S first
};

class FeatureExtractor {
public:
    FeatureExtractor(FidInception net, torch::Device device, ExtractionOptions options);

    // (files.size(), dims) float32 on the CPU, rows in the order of `files`. onBatch(imagesDone)
    // runs after each batch. Throws ds::Error naming a file that cannot be decoded or whose size
    // differs from the first file's (without --resize), ds::Cancelled when stopped.
    torch::Tensor extract(const std::vector<std::string>& files, const std::function<void(int64_t)>& onBatch,
                          const StopToken* stop) const;

    const ExtractionOptions& options() const { return options_; }

private:
    // (end - begin, 3, H, W) float in [0, 1], as torchvision's ToTensor makes it.
    torch::Tensor decodeBatch(const std::vector<std::string>& files, size_t begin, size_t end,
                              const cv::Size& expected, const StopToken* stop) const;
    cv::Size firstImageSize(const std::string& file) const;

    FidInception net_;
    torch::Device device_;
    ExtractionOptions options_;
    int threads_;
};

}  // namespace ds::fid
