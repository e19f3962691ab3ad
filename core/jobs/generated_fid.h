// SPDX-License-Identifier: GPL-3.0-or-later
// The Fréchet distance of images generated in memory against a reference: a folder, an .npz of
// statistics or a built-in set (fashion-mnist-test), in pytorch-fid's Inception features or a
// feature classifier's. The reference's statistics are computed once (and kept in the `fid`
// command's statistics cache); each call then costs only the generated images' features. The
// images go through the network exactly as the PNGs `sample --out-dir` writes would (8 bits,
// gray repeated to RGB), so a distance here equals `fid` on those files. Serves the sweep's
// FID against NFE and FID during training.
#pragma once
#include "core/api/fid.h"
#include "core/train/sample_quality.h"

#include <torch/torch.h>

#include <memory>
#include <string>

namespace ds::jobs {

class GeneratedImagesFid : public train::SampleQuality {
public:
    // `request`: path2 names the reference; features, dims, batchSize, numWorkers, device,
    // weights/weightsSetting, useCache, cacheDir, fashionMnistDir and kid (with its subsets) as
    // for `fid`; path1, prdc and resize are ignored (generated images keep their size). Opens the reference and
    // settles the feature network; throws ds::Error (naming the file) when either is unusable.
    GeneratedImagesFid(const api::FidRequest& request, api::JobSink& sink);
    ~GeneratedImagesFid() override;
    GeneratedImagesFid(const GeneratedImagesFid&) = delete;
    GeneratedImagesFid& operator=(const GeneratedImagesFid&) = delete;

    // The reference's statistics, now (from the cache, a statistics file or its images); the
    // first distance() does it otherwise. Progress in reference images.
    void prepareReference(const StopToken& stop);
    void prepare(const StopToken& stop) override { prepareReference(stop); }

    // The distance of `images`, (N, C, H, W) in [0, 1] with C = 1 or 3 and N >= 2. Throws
    // ds::Cancelled when stopped.
    double distance(const torch::Tensor& images, const StopToken& stop);
    // The same in two halves: the images' features (N, D), and the distance of features (of
    // images from several processes, gathered).
    torch::Tensor features(const torch::Tensor& images, const StopToken& stop) override;
    double distance(const torch::Tensor& features) override;
    // KID (torch-fidelity's) of the features against the reference's, when the request asks
    // for it (request.kid; the reference is then images, not a statistics file).
    std::optional<train::KernelDistance> kernelDistance(const torch::Tensor& features) override;

    const std::string& label() const override;  // "FID" or e.g. "FD (fashion-mnist classifier, 128-d)"
    const std::string& featureSpace() const;    // "Inception" or the classifier's label
    int64_t referenceCount() const;             // images behind the reference (0: a statistics file that does not say)

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace ds::jobs
