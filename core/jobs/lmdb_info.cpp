// SPDX-License-Identifier: GPL-3.0-or-later
// What an LMDB holds, for `lmdb-info` and the import dialog's preview.
#include "core/api/lmdb_import.h"
#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/data/image_format.h"
#include "core/lmdb/lmdb_cursor.h"
#include "core/util/bytes.h"
#include "core/util/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <sstream>

namespace ds::api {
namespace {

std::string formatOf(std::string_view value) {
    if (value.empty()) return "empty";
    return data::imageFormatName(data::sniffImageFormat(bytesOf(value), value.size()));
}

// The whole picture (no crop), RGB, scaled down to fit a box x box square.
LmdbThumbnail makeThumbnail(std::string_view key, std::string_view value, int box) {
    LmdbThumbnail t;
    t.key = std::string(key);
    t.format = formatOf(value);
    try {
        const cv::Mat decoded = data::decodeImage(bytesOf(value), value.size(), t.key);
        t.width = decoded.cols;
        t.height = decoded.rows;
        cv::Mat rgb = data::toModelChannels(data::toEightBit(decoded), 3);
        const double scale = std::min(1.0, double(box) / std::max(rgb.cols, rgb.rows));
        if (scale < 1.0) {
            cv::Mat small;
            const cv::Size target(std::max(1, int(rgb.cols * scale + 0.5)), std::max(1, int(rgb.rows * scale + 0.5)));
            cv::resize(rgb, small, target, 0, 0, cv::INTER_AREA);
            rgb = small;
        }
        t.image = data::toApiImage(rgb);
    } catch (const Error& e) {
        t.problem = e.what();
    } catch (const cv::Exception& e) {
        t.problem = t.key + ": " + e.err;
    }
    return t;
}

std::string humanBytes(int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    std::ostringstream os;
    os.precision(u == 0 ? 0 : 1);
    os << std::fixed << v << " " << units[u];
    return os.str();
}

}  // namespace

LmdbInfo inspectLmdb(const std::string& directory, const LmdbInspectOptions& options) {
    const lmdb::LmdbEnvironment env(directory);
    const lmdb::LmdbStats stats = env.stats();
    LmdbInfo info;
    info.path = directory;
    info.entries = stats.entries;
    info.fileBytes = stats.fileBytes;
    info.usedBytes = stats.usedBytes;
    info.pageSize = stats.pageSize;
    info.depth = stats.depth;

    const lmdb::LmdbReadTransaction txn(env);
    lmdb::LmdbCursor cursor(txn);
    const int firstN = std::max({options.firstKeys, options.sampledEntries, options.thumbnails, 0});
    std::string_view key, value;
    for (int i = 0; i < firstN && cursor.next(key, value); ++i) {
        if (i < options.firstKeys) info.firstKeys.emplace_back(key);
        if (i < options.sampledEntries) {
            ++info.formats[formatOf(value)];
            ++info.sampledEntries;
        }
        if (i < options.thumbnails) info.thumbnails.push_back(makeThumbnail(key, value, options.thumbnailSize));
    }
    return info;
}

nlohmann::json LmdbInfo::toJson() const {
    nlohmann::json thumbs = nlohmann::json::array();
    for (const auto& t : thumbnails)
        thumbs.push_back(
            {{"key", t.key}, {"format", t.format}, {"width", t.width}, {"height", t.height}, {"problem", t.problem}});
    return {
        {"path", path},          {"entries", entries},  {"file_bytes", fileBytes}, {"used_bytes", usedBytes},
        {"page_size", pageSize}, {"depth", depth},      {"first_keys", firstKeys}, {"sampled_entries", sampledEntries},
        {"formats", formats},    {"thumbnails", thumbs}};
}

std::string LmdbInfo::toText() const {
    std::ostringstream os;
    os << "database:   " << path << "\n"
       << "entries:    " << entries << "\n"
       << "size:       " << humanBytes(fileBytes) << " (data.mdb, " << humanBytes(usedBytes) << " in use)\n"
       << "page size:  " << pageSize << " B, B-tree depth " << depth << "\n"
       << "formats:    ";
    bool first = true;
    for (const auto& [name, count] : formats) {
        os << (first ? "" : ", ") << name << " " << count;
        first = false;
    }
    os << " (of the first " << sampledEntries << " entries)\n"
       << "first keys:";
    for (const auto& k : firstKeys) os << " " << k;
    os << "\n";
    return os.str();
}

}  // namespace ds::api
