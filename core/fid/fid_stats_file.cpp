// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_stats_file.h"

#include "core/fid/feature_network.h"
#include "core/fid/npz_file.h"
#include "core/util/error.h"

#include <filesystem>

namespace ds::fid {

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? "nothing" : s;
}

}  // namespace

GaussianStats readFidStats(const std::string& path) {
    const NpzFile npz(path);
    const bool pytorchFid = npz.contains("mu");
    if (!pytorchFid && !npz.contains("m2"))
        throw fileError(path,
                        "no 'mu' array: not FID statistics (pytorch-fid's hold 'mu' and 'sigma', lucidrains' "
                        "'m2' and 's2'; this file holds " +
                            joined(npz.arrayNames()) + ")");
    GaussianStats stats;
    stats.mu = npz.array(pytorchFid ? "mu" : "m2").to(torch::kDouble).flatten();
    const std::string sigmaName = pytorchFid ? "sigma" : "s2";
    if (!npz.contains(sigmaName)) throw fileError(path, "no '" + sigmaName + "' array next to the mean");
    stats.sigma = npz.array(sigmaName).to(torch::kDouble);
    const int64_t d = stats.mu.size(0);
    if (stats.sigma.dim() != 2 || stats.sigma.size(0) != d || stats.sigma.size(1) != d)
        throw fileError(path, "the covariance's shape " + c10::str(stats.sigma.sizes()) +
                                  " does not match the mean's " + std::to_string(d) + " values");
    return stats;
}

std::string readFidStatsSpace(const std::string& path) {
    const NpzFile npz(path);
    return npz.contains(kFeatureSpaceEntry) ? npz.text(kFeatureSpaceEntry) : std::string(kInceptionSpaceId);
}

void writeFidStats(const std::string& path, const GaussianStats& stats, const std::string& featureSpace) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) throw fileError(path, "already exists; not overwriting it");
    std::vector<NamedText> texts;
    if (!featureSpace.empty() && featureSpace != kInceptionSpaceId)
        texts.emplace_back(kFeatureSpaceEntry, featureSpace);
    writeNpz(path, {{"mu", stats.mu.to(torch::kDouble)}, {"sigma", stats.sigma.to(torch::kDouble)}}, texts);
}

}  // namespace ds::fid
