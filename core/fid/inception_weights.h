// SPDX-License-Identifier: GPL-3.0-or-later
// pytorch-fid's Inception weight file, pt_inception-2015-12-05-6726825d.pth: where it is looked
// for, and loading it (legacy or zip PyTorch format) strictly into FidInception. No network
// access: when the file is absent the error says where to put it and where it comes from.
#pragma once
#include "core/checkpoint/state_dict.h"
#include "core/fid/fid_inception.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::fid {

constexpr const char* kInceptionWeightsName = "pt_inception-2015-12-05-6726825d.pth";
constexpr const char* kInceptionWeightsUrl =
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";

// torch.hub's checkpoint folder: $TORCH_HOME/hub/checkpoints, else
// $XDG_CACHE_HOME/torch/hub/checkpoints, else ~/.cache/torch/hub/checkpoints.
std::string torchHubCheckpointDir();

// The weight file to use: `explicitPath` (--weights) when given (it must exist), else
// `settingPath` (the app's setting) when it names an existing file, else the one in the torch hub
// cache. Throws ds::Error naming every place looked at, the download URL and where to put it.
std::string locateInceptionWeights(const std::string& explicitPath, const std::string& settingPath);

// The state_dict in a PyTorch file (any format loadTorchFile reads). Throws ds::Error naming the
// file when it is not a dict of tensors.
checkpoint::StateDict readInceptionStateDict(const std::string& path);

// A FidInception holding `weights` (strict: every key, every shape; a missing
// num_batches_tracked, which old files lack and pytorch ignores, is allowed), moved to `device`
// and prepared for inference. `source` names the weights in errors.
FidInception loadFidInception(const checkpoint::StateDict& weights, const std::string& source, torch::Device device);
FidInception loadFidInception(const std::string& path, torch::Device device);

}  // namespace ds::fid
