// SPDX-License-Identifier: GPL-3.0-or-later
// LSUN LMDB databases: inspecting one, importing it into an image folder (raw export as fyu/lsun's
// `data.py export`, or resized training/test sets), and the import benchmark. The jobs behind
// `diffusion-studio-cli lmdb-info / import-lmdb / bench lmdb` and the app's import dialog.
// Torch-free interface.
#pragma once
#include "core/api/image.h"
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ds::api {

// True when `directory` holds a data.mdb (cheap; opening it may still fail).
bool looksLikeLmdb(const std::string& directory);

struct LmdbThumbnail {
    std::string key;
    std::string format;  // "JPEG", "WebP", ... sniffed from the bytes; "unknown"
    int width = 0;       // of the stored image
    int height = 0;
    Image image;          // RGB, fitted into the requested box; empty when it did not decode
    std::string problem;  // why it did not decode ("" when it did)
};

struct LmdbInfo {
    std::string path;
    int64_t entries = 0;
    int64_t fileBytes = 0;  // data.mdb on disk
    int64_t usedBytes = 0;  // pages in use
    int64_t pageSize = 0;
    int64_t depth = 0;  // B-tree depth
    std::vector<std::string> firstKeys;
    int64_t sampledEntries = 0;              // the first N entries, whose formats follow
    std::map<std::string, int64_t> formats;  // "JPEG" -> count among them ("empty", "unknown" too)
    std::vector<LmdbThumbnail> thumbnails;   // of the first entries

    nlohmann::json toJson() const;  // everything but the thumbnails' pixels
    std::string toText() const;
};

struct LmdbInspectOptions {
    int thumbnails = 0;       // how many of the first entries to decode
    int thumbnailSize = 128;  // the box they are fitted into
    int firstKeys = 5;
    int sampledEntries = 100;
};

// Opens read-only. Throws ds::Error naming the directory when it is not an LMDB.
LmdbInfo inspectLmdb(const std::string& directory, const LmdbInspectOptions& options = {});

struct LmdbImportRequest {
    std::string dbDir;
    std::string outDir;  // created when missing
    // Raw export (size == 0): each value written verbatim, named as fyu/lsun does.
    bool flat = false;           // <out>/<key>.webp; else <out>/k0/k1/k2/k3/k4/k5/<key>.webp
    bool realExtension = false;  // .jpg/.webp/... from the bytes instead of fyu/lsun's .webp
    // Resize export (size > 0): decode, shorter side to `size`, centre crop, encode; always flat.
    int size = 0;
    std::string format = "png";  // png | jpg
    int jpegQuality = 95;
    // Which entries. limit: at most this many images (0: all), the first in key order.
    // splitTrain/splitTest: that many images into train/ and test/, drawn at random (from seed)
    // without overlap; does not combine with limit. Corrupt entries do not count: the next
    // entry in the same order takes their place, so the counts are met when the database can.
    int64_t limit = 0;
    int64_t splitTrain = 0;
    int64_t splitTest = 0;
    uint64_t seed = 0;
    int threads = 0;                       // 0: all hardware threads
    double progressIntervalSeconds = 0.1;  // how often onProgress is called (0: every image)
};

struct LmdbImportResult {
    int64_t entries = 0;          // in the database
    int64_t written = 0;          // files written by this run
    int64_t skippedExisting = 0;  // already complete from an earlier run
    int64_t corrupt = 0;          // empty, unrecognised, truncated or undecodable values
    int64_t refusedKeys = 0;      // keys that cannot be file names (see reportFile)
    int64_t trainImages = 0;      // with a split: images now in train/ (written + existing)
    int64_t testImages = 0;
    std::vector<std::string> problems;  // "key: problem" of the first few corrupt entries/keys
    std::string outDir;
    std::string trainDir;  // with a split
    std::string testDir;
    std::string reportFile;  // JSON: the request, the counts and every problem
    double seconds = 0.0;
    double imagesPerSecond = 0.0;  // (written + skippedExisting) / seconds
};

// Throws ds::Error (naming the path) for a directory that is not an LMDB, an empty LMDB, a bad
// request, or a failed write (a full disk); ds::Cancelled when stopped. Files are written
// atomically, so whatever exists under its final name is complete; a second run with the same
// request skips them and finishes the rest. The source database is opened read-only.
LmdbImportResult runLmdbImport(const LmdbImportRequest& request, JobSink& sink, const StopToken& stop);

struct LmdbBenchOptions {
    std::string dbDir;  // "": build a temporary LMDB of `count` synthetic images
    int count = 2000;
    int size = 64;    // resize export's size
    int threads = 0;  // 0: all hardware threads (resize export also runs on 1 thread)
};
// Images/s of raw export and resize export (PNG), as JSON.
nlohmann::json benchLmdb(const LmdbBenchOptions& options);

}  // namespace ds::api
