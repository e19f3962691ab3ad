// FID statistics files: pytorch-fid's .npz (mu, sigma: what --save-stats writes) and
// lucidrains' (m2, s2: denoising_diffusion_pytorch's FIDEvaluation cache).
#pragma once
#include "core/fid/gaussian_stats.h"

#include <string>

namespace ds::fid {

// Throws ds::Error naming the file when it is not an .npz or lacks a mean/covariance pair, or
// when their shapes do not match.
GaussianStats readFidStats(const std::string& path);

// mu and sigma as float64 arrays, deflated, atomically; refuses to replace an existing file.
void writeFidStats(const std::string& path, const GaussianStats& stats);

}  // namespace ds::fid
