// SPDX-License-Identifier: GPL-3.0-or-later
// A cache of folders' FID statistics (and, when KID asked for them, features), so that a test
// set is not pushed through Inception at every evaluation. An entry is keyed by the folder's
// listing (file names, sizes, modification times: a changed, added or removed image changes the
// key) and by everything that shapes the features (dims, resize, the weight file's name, size
// and time, or the feature classifier's identity). Entries live in <cache dir>/<sha256>.npz; an
// entry of another feature network than Inception also records its feature space, and is only
// returned to a caller expecting that space.
#pragma once
#include "core/fid/gaussian_stats.h"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace ds::fid {

struct CachedStats {
    GaussianStats stats;
    torch::Tensor features;  // undefined unless stored with them
};

class StatsCache {
public:
    // `dir` "" means defaultDir().
    explicit StatsCache(std::string dir);

    // $XDG_CACHE_HOME/diffusion-studio/fid, else ~/.cache/diffusion-studio/fid.
    static std::string defaultDir();

    // The key of a folder's files under a description of how their features are made.
    static std::string key(const std::vector<std::string>& files, const std::string& extraction);

    // The entry, when present, readable, of the feature space `space` ("": Inception's) and (if
    // needFeatures) holding features; else nullopt.
    std::optional<CachedStats> load(const std::string& key, bool needFeatures, const std::string& space = {}) const;

    // Writes the entry atomically. Returns "" or, on failure, a warning (the cache is an aid: a
    // read-only home folder must not fail the FID).
    std::string store(const std::string& key, const GaussianStats& stats, const torch::Tensor& features,
                      const std::string& space = {}) const;

    const std::string& dir() const { return dir_; }

private:
    std::string pathOf(const std::string& key) const;

    std::string dir_;
};

}  // namespace ds::fid
