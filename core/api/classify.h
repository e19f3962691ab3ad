// SPDX-License-Identifier: GPL-3.0-or-later
// How often a feature classifier recognises generated images as the class they were asked for:
// the accuracy measure of class-conditional samples (issue 18), read against each PNG's
// `ds.class` entry (what `sample` writes for a class-conditional checkpoint). The job behind
// `diffusion-studio-cli classify`. Torch-free interface.
#pragma once
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct ClassifyRequest {
    std::string folder;                        // PNGs, each with ds.class (images without it are counted apart)
    std::string classifier = "fashion-mnist";  // fashion-mnist (train-classifier's default file) or a file
    int batchSize = 200;
    std::string device = "cpu";
};

struct ClassifyResult {
    int64_t images = 0;                   // in the folder
    int64_t labelled = 0;                 // with a ds.class the classifier knows
    int64_t correct = 0;                  // predicted as their ds.class
    double accuracy = 0.0;                // correct / labelled
    std::vector<std::string> classNames;  // the classifier's classes (Fashion-MNIST's names)
    std::vector<int64_t> perClassImages;  // by asked class
    std::vector<int64_t> perClassCorrect;
    std::vector<std::vector<int64_t>> confusion;  // [asked][predicted]
    std::string classifierLabel;
    double classifierTestAccuracy = -1.0;
    double seconds = 0.0;
};

// Throws ds::Error naming the folder or file (no images, an unreadable image, a missing
// classifier), ds::Cancelled when stopped. Progress in images.
ClassifyResult classifyImages(const ClassifyRequest& request, JobSink& sink, const StopToken& stop);

}  // namespace ds::api
