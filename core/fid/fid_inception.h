// SPDX-License-Identifier: GPL-3.0-or-later
// pytorch-fid's FID Inception (pytorch_fid.inception.fid_inception_v3 inside its InceptionV3
// wrapper): torchvision's Inception3 with the FID blocks, its module names (so the 566 entries of
// pt_inception-2015-12-05-6726825d.pth load strictly), and the wrapper's input handling:
// bilinear resize to 299x299 (align_corners=False, no antialias), then 2x - 1.
//
// Output blocks as in pytorch-fid: 64 (after the first max pool), 192 (second max pool), 768
// (Mixed_6e), 2048 (Mixed_7c); each is average-pooled over space. Lower dims stop the forward
// pass early.
#pragma once
#include "core/fid/basic_conv2d.h"
#include "core/fid/fid_inception_a.h"
#include "core/fid/fid_inception_b.h"
#include "core/fid/fid_inception_c.h"
#include "core/fid/fid_inception_d.h"
#include "core/fid/fid_inception_e.h"

#include <torch/torch.h>

namespace ds::fid {

class FidInceptionImpl : public torch::nn::Module {
public:
    static constexpr int64_t kInputSize = 299;

    FidInceptionImpl();

    // Folds every BatchNorm into its convolution and merges parallel 1x1 convolutions. Call once,
    // after loading the weights and moving the module to its device; forward passes need it.
    // channelsLast: weights and activations in NHWC (faster with oneDNN on CPUs).
    void prepareForInference(bool channelsLast = true);

    // images: (N, 3, H, W) float RGB in [0, 1]. Returns (N, dims) float. Throws ds::Error for dims
    // other than 64, 192, 768, 2048.
    torch::Tensor features(const torch::Tensor& images, int dims) const;

    static bool isSupportedDims(int dims);

    // The first step of features(): the bilinear resize of (N, 3, H, W) images to 299 x 299
    // (align_corners=False, no antialias), before the 2x - 1 (exposed for tests).
    static torch::Tensor resizeToInput(const torch::Tensor& images);

    BasicConv2d Conv2d_1a_3x3{nullptr}, Conv2d_2a_3x3{nullptr}, Conv2d_2b_3x3{nullptr};
    BasicConv2d Conv2d_3b_1x1{nullptr}, Conv2d_4a_3x3{nullptr};
    FidInceptionA Mixed_5b{nullptr}, Mixed_5c{nullptr}, Mixed_5d{nullptr};
    FidInceptionB Mixed_6a{nullptr};
    FidInceptionC Mixed_6b{nullptr}, Mixed_6c{nullptr}, Mixed_6d{nullptr}, Mixed_6e{nullptr};
    FidInceptionD Mixed_7a{nullptr};
    FidInceptionE Mixed_7b{nullptr}, Mixed_7c{nullptr};
    torch::nn::Linear fc{nullptr};  // in the weight file, unused by FID

private:
    torch::Tensor block0(const torch::Tensor& x) const;
    torch::Tensor block1(const torch::Tensor& x) const;
    torch::Tensor block2(const torch::Tensor& x) const;
    torch::Tensor block3(const torch::Tensor& x) const;

    bool prepared_ = false;
    torch::MemoryFormat format_ = torch::MemoryFormat::Contiguous;
};
TORCH_MODULE(FidInception);

}  // namespace ds::fid
