// SPDX-License-Identifier: GPL-3.0-or-later
// Feature networks that work offline (issue 17): a small CNN trained on Fashion-MNIST itself,
// whose 128-d penultimate activations replace pytorch-fid's Inception features when its
// weights cannot be had (`fid --features fashion-mnist`), as papers on MNIST-like data do. The
// job behind `diffusion-studio-cli train-classifier` and the FID page's "Train…". Torch-free.
#pragma once
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>

namespace ds::api {

struct ClassifierTrainRequest {
    std::string data = "fashion-mnist";  // the data set (only Fashion-MNIST so far)
    std::string dataDir;                 // "": $DS_FASHION_MNIST_DIR or Debian's folder
    std::string out;                     // "": defaultClassifierPath(data); replaced atomically
    int epochs = 0;                      // 0: the default, 5 (docs/feature-networks.md)
    int batchSize = 128;
    uint64_t seed = 0;
    int64_t trainImages = 0;     // the first N training images; 0: all 60,000
    int64_t testImages = 0;      // the first N test images the accuracy is measured on; 0: all 10,000
    bool shuffleLabels = false;  // a negative control: training labels permuted across images
    std::string device = "cpu";  // auto | cpu | cuda | cuda:N
};

struct ClassifierTrainResult {
    std::string path;           // the file written
    double testAccuracy = 0.0;  // share of the test images classified right
    int64_t trainImages = 0;
    int64_t testImages = 0;
    int epochs = 0;
    int featureDim = 0;
    double finalLoss = 0.0;     // mean training loss of the last epoch
    double trainSeconds = 0.0;  // the epochs alone
    double seconds = 0.0;       // the whole job (reading and converting the data included)
    std::string featureSpace;   // e.g. "fashion-mnist classifier, 128-d (sha256 0123456789abcdef)"
    std::string architecture;   // the layers in words, one per line
};

// Reads the data, trains, measures the test accuracy, writes the file. Progress in batches with
// ETA; a log line per epoch. Throws ds::Error for bad input, ds::Cancelled when stopped (nothing
// is written then).
ClassifierTrainResult trainClassifier(const ClassifierTrainRequest& request, JobSink& sink, const StopToken& stop);

// Where train-classifier writes the classifier of `data` and `fid --features DATA` finds it:
// $XDG_CACHE_HOME (else ~/.cache)/diffusion-studio/features/<data>-classifier.pt.
std::string defaultClassifierPath(const std::string& data = "fashion-mnist");

struct ClassifierInfo {
    std::string path;
    std::string dataset;
    std::string featureSpace;  // with the file's sha256, as statistics record it
    std::string label;         // "fashion-mnist classifier, 128-d"
    int featureDim = 0;
    double testAccuracy = -1.0;
    int64_t testImages = 0;
    std::string architecture;
};

// What a classifier file holds. Throws ds::Error "path: problem" when it is missing or not one.
ClassifierInfo inspectClassifier(const std::string& path);

}  // namespace ds::api
