// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/stats_cache.h"

#include "core/fid/feature_network.h"
#include "core/fid/npz_file.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

#include <cstdlib>
#include <filesystem>

namespace ds::fid {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "diffusion-studio fid stats v1";

}  // namespace

StatsCache::StatsCache(std::string dir) : dir_(dir.empty() ? defaultDir() : std::move(dir)) {}

std::string StatsCache::defaultDir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : ".") / ".cache";
    return (base / "diffusion-studio" / "fid").string();
}

std::string StatsCache::key(const std::vector<std::string>& files, const std::string& extraction) {
    Sha256 hash;
    const auto add = [&hash](const std::string& s) { hash.update(s.data(), s.size() + 1); };  // with the NUL
    add(kFormat);
    add(extraction);
    for (const auto& file : files) {
        std::error_code ec;
        const auto size = fs::file_size(file, ec);
        const auto time = fs::last_write_time(file, ec).time_since_epoch().count();
        add(fs::path(file).filename().string());
        add(std::to_string(size) + ":" + std::to_string(time));
    }
    return hash.hexDigest();
}

std::string StatsCache::pathOf(const std::string& key) const { return (fs::path(dir_) / (key + ".npz")).string(); }

std::optional<CachedStats> StatsCache::load(const std::string& key, bool needFeatures, const std::string& space) const {
    std::error_code ec;
    if (!fs::is_regular_file(pathOf(key), ec)) return std::nullopt;
    try {
        const NpzFile npz(pathOf(key));
        const std::string expected = space.empty() ? kInceptionSpaceId : space;
        const std::string stored = npz.contains(kFeatureSpaceEntry) ? npz.text(kFeatureSpaceEntry) : kInceptionSpaceId;
        if (stored != expected) return std::nullopt;  // never another network's statistics
        if (needFeatures && !npz.contains("features")) return std::nullopt;
        CachedStats entry;
        entry.stats.mu = npz.array("mu");
        entry.stats.sigma = npz.array("sigma");
        entry.stats.count = npz.array("count").item<int64_t>();
        if (npz.contains("features")) entry.features = npz.array("features");
        return entry;
    } catch (const Error&) {
        return std::nullopt;  // a damaged entry is recomputed (and replaced)
    }
}

std::string StatsCache::store(const std::string& key, const GaussianStats& stats, const torch::Tensor& features,
                              const std::string& space) const {
    try {
        std::error_code ec;
        fs::create_directories(dir_, ec);
        if (ec) throw fileError(dir_, "cannot create the cache folder: " + ec.message());
        std::vector<NamedArray> arrays{{"mu", stats.mu}, {"sigma", stats.sigma}, {"count", torch::tensor(stats.count)}};
        if (features.defined()) arrays.emplace_back("features", features.to(torch::kFloat));
        std::vector<NamedText> texts;
        if (!space.empty() && space != kInceptionSpaceId) texts.emplace_back(kFeatureSpaceEntry, space);
        writeNpz(pathOf(key), arrays, texts);
        return {};
    } catch (const Error& e) {
        return std::string("statistics not cached: ") + e.what();
    }
}

}  // namespace ds::fid
