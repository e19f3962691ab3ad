// SPDX-License-Identifier: GPL-3.0-or-later
// FID statistics files: pytorch-fid's .npz (mu, sigma: what --save-stats writes) and
// lucidrains' (m2, s2: denoising_diffusion_pytorch's FIDEvaluation cache). Statistics of another
// feature network than pytorch-fid's Inception (a feature classifier) also hold the feature
// space's id, as a numpy str named feature_space; a file without one is Inception's.
#pragma once
#include "core/fid/gaussian_stats.h"

#include <string>

namespace ds::fid {

// Throws ds::Error naming the file when it is not an .npz or lacks a mean/covariance pair, or
// when their shapes do not match.
GaussianStats readFidStats(const std::string& path);

// The feature space of the statistics in `path`: its feature_space entry, else
// kInceptionSpaceId (core/fid/feature_network.h). Throws ds::Error naming the file.
std::string readFidStatsSpace(const std::string& path);

// mu and sigma as float64 arrays, deflated, atomically; refuses to replace an existing file.
// `featureSpace` other than Inception's is written as the feature_space entry (Inception's
// statistics hold mu and sigma only, as pytorch-fid writes them).
void writeFidStats(const std::string& path, const GaussianStats& stats, const std::string& featureSpace = {});

}  // namespace ds::fid
