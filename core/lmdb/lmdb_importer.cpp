// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/lmdb/lmdb_importer.h"

#include "core/data/epoch_sampler.h"
#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/data/image_format.h"
#include "core/data/parallel_for.h"
#include "core/lmdb/lmdb_transaction.h"
#include "core/util/atomic_file.h"
#include "core/util/bytes.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <new>

namespace ds::lmdb {
namespace fs = std::filesystem;
namespace {

constexpr const char* kReportName = "lmdb-import-report.json";
constexpr size_t kProblemsInResult = 10;
// The seed stream of the split's shuffle (epoch permutations of training use 0, 1, 2, ...).
constexpr uint64_t kSplitStream = 0x53504C4954ull;  // "SPLIT"

std::string join(const std::string& folder, const std::string& relative) {
    return (fs::path(folder) / relative).string();
}

void createFolder(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw fileError(dir, "cannot create the folder: " + ec.message());
}

}  // namespace

LmdbImporter::LmdbImporter(api::LmdbImportRequest request, api::JobSink& sink, const StopToken& stop)
    : request_(std::move(request)), sink_(sink), stop_(stop), meter_(0, "images") {
    validateRequest();
    env_ = std::make_unique<LmdbEnvironment>(request_.dbDir, ReadPattern::Sequential);
    result_.entries = env_->stats().entries;
    if (result_.entries == 0) throw fileError(request_.dbDir, "empty LMDB (no entries)");
    threads_ = data::chooseThreadCount(request_.threads, 1, 64);
}

void LmdbImporter::validateRequest() const {
    const auto& r = request_;
    if (r.dbDir.empty()) throw Error("no database folder given");
    if (r.outDir.empty()) throw Error("no output folder given");
    if (r.size < 0) throw Error("size must be positive (or 0 for a raw export), got " + std::to_string(r.size));
    if (r.format != "png" && r.format != "jpg") throw Error("format must be png or jpg, got \"" + r.format + "\"");
    if (r.jpegQuality < 1 || r.jpegQuality > 100)
        throw Error("JPEG quality must be 1..100, got " + std::to_string(r.jpegQuality));
    if (r.limit < 0) throw Error("limit must not be negative, got " + std::to_string(r.limit));
    if (r.splitTrain < 0 || r.splitTest < 0) throw Error("split counts must not be negative");
    if (r.limit > 0 && r.splitTrain + r.splitTest > 0)
        throw Error("limit and split do not combine: the split's counts already bound the images");
}

// Without a split: the keys in order, into the output folder, up to the limit. With one: a
// seeded shuffle feeding train/ first, then test/.
void LmdbImporter::planDestinations() {
    const auto& r = request_;
    const int64_t entries = int64_t(keys_.size());
    if (r.splitTrain + r.splitTest > 0) {
        if (r.splitTrain + r.splitTest > entries)
            throw fileError(r.dbDir, "the split asks for " + std::to_string(r.splitTrain + r.splitTest) +
                                         " images but the database holds " + std::to_string(entries) + " entries");
        destinations_ = {{join(r.outDir, "train"), r.splitTrain}, {join(r.outDir, "test"), r.splitTest}};
        result_.trainDir = destinations_[0].dir;
        result_.testDir = destinations_[1].dir;
        candidates_ = data::seededPermutation(keys_.size(), r.seed, kSplitStream);
    } else {
        destinations_ = {{r.outDir, r.limit > 0 ? std::min(r.limit, entries) : entries}};
        candidates_.resize(keys_.size());
        for (size_t i = 0; i < candidates_.size(); ++i) candidates_[i] = int64_t(i);
    }
    for (const auto& d : destinations_) createFolder(d.dir);
}

// The next candidates, as many per destination as it still lacks.
std::vector<LmdbImporter::Task> LmdbImporter::nextRound() {
    std::vector<Task> tasks;
    for (size_t d = 0; d < destinations_.size(); ++d) {
        for (int64_t n = destinations_[d].quota - destinations_[d].delivered; n > 0; --n) {
            if (nextCandidate_ >= candidates_.size()) return tasks;
            tasks.push_back({size_t(candidates_[nextCandidate_++]), d});
        }
    }
    return tasks;
}

api::LmdbImportResult LmdbImporter::run() {
    jobThread_ = std::this_thread::get_id();
    keys_ = LmdbKeyList::read(*env_, &stop_);
    createFolder(request_.outDir);
    planDestinations();
    sink_.onLog("importing " + std::to_string(keys_.size()) + " entries of " + request_.dbDir + " into " +
                request_.outDir + (resizing() ? " (resized to " + std::to_string(request_.size) + ")" : " (raw)") +
                " on " + std::to_string(threads_) + " thread(s)");
    try {
        for (std::vector<Task> tasks = nextRound(); !tasks.empty(); tasks = nextRound()) runRound(tasks);
    } catch (const Cancelled&) {
        syncFileSystemOf(request_.outDir);  // what was completed stays, durably
        throw;
    }
    syncFileSystemOf(request_.outDir);
    reportProgress(processed_.load(), true);

    result_.outDir = request_.outDir;
    if (!result_.trainDir.empty()) {
        result_.trainImages = destinations_[0].delivered;
        result_.testImages = destinations_[1].delivered;
    }
    result_.seconds = meter_.elapsedSeconds();
    if (result_.seconds > 0)
        result_.imagesPerSecond = double(result_.written + result_.skippedExisting) / result_.seconds;
    writeReport();
    return result_;
}

void LmdbImporter::runRound(const std::vector<Task>& tasks) {
    planned_ += int64_t(tasks.size());
    meter_.setTotal(planned_);
    std::vector<TaskResult> results(tasks.size());
    try {
        data::parallelFor(
            tasks.size(), threads_,
            [&](size_t i) {
                results[i] = processTask(tasks[i]);
                const int64_t done = ++processed_;
                // The sink hears only from the job's thread (its contract).
                if (std::this_thread::get_id() == jobThread_) reportProgress(done, false);
            },
            &stop_);
    } catch (const Cancelled&) {
        tally(tasks, results);
        throw;
    }
    tally(tasks, results);
}

void LmdbImporter::tally(const std::vector<Task>& tasks, const std::vector<TaskResult>& results) {
    for (size_t i = 0; i < tasks.size(); ++i) {
        const TaskResult& r = results[i];
        switch (r.outcome) {
        case Outcome::Written: ++result_.written; break;
        case Outcome::Existing: ++result_.skippedExisting; break;
        case Outcome::Corrupt: ++result_.corrupt; break;
        case Outcome::RefusedKey: ++result_.refusedKeys; break;
        case Outcome::Pending: break;
        }
        if (r.outcome == Outcome::Written || r.outcome == Outcome::Existing)
            ++destinations_[tasks[i].destination].delivered;
        if (!r.problem.empty()) {
            allProblems_.push_back(r.problem);
            if (result_.problems.size() < kProblemsInResult) result_.problems.push_back(r.problem);
        }
    }
}

LmdbImporter::TaskResult LmdbImporter::processTask(const Task& task) const {
    const std::string_view key = keys_[task.keyIndex];
    const std::string keyProblemText = keyProblem(key);
    if (!keyProblemText.empty()) return {Outcome::RefusedKey, keyProblemText};
    LmdbReadTransaction txn(*env_);
    const auto value = txn.get(key);
    const std::string name(key);
    if (!value) return {Outcome::Corrupt, name + ": entry disappeared (is another process writing the database?)"};
    if (value->empty()) return {Outcome::Corrupt, name + ": empty value"};
    const Destination& destination = destinations_[task.destination];
    return resizing() ? exportResized(key, *value, destination) : exportRaw(key, *value, destination);
}

// The value verbatim; only visibly broken containers are refused (no decoding: raw export runs
// at disk speed).
LmdbImporter::TaskResult LmdbImporter::exportRaw(std::string_view key, std::string_view value,
                                                 const Destination& destination) const {
    const std::string name(key);
    const data::ImageFormat format = data::sniffImageFormat(bytesOf(value), value.size());
    const std::string problem = data::containerProblem(format, bytesOf(value), value.size());
    if (!problem.empty()) return {Outcome::Corrupt, name + ": " + problem};
    const std::string extension = request_.realExtension ? fileExtensionFor(format) : "webp";
    const ExportLayout layout = request_.flat ? ExportLayout::Flat : ExportLayout::Nested;
    const std::string path = join(destination.dir, exportRelativePath(key, layout, extension));
    if (isComplete(path, value)) return {Outcome::Existing, {}};
    ensureParentFolder(path);
    writeFileAtomically(path, value, FileSync::Deferred);
    return {Outcome::Written, {}};
}

LmdbImporter::TaskResult LmdbImporter::exportResized(std::string_view key, std::string_view value,
                                                     const Destination& destination) const {
    const std::string name(key);
    const std::string path = join(destination.dir, exportRelativePath(key, ExportLayout::Flat, request_.format));
    if (isComplete(path, {})) return {Outcome::Existing, {}};
    std::vector<unsigned char> encoded;
    try {
        encoded = encodeResized(value, name);
    } catch (const Error& e) {
        return {Outcome::Corrupt, e.what()};
    } catch (const cv::Exception& e) {
        return {Outcome::Corrupt, name + ": " + e.err};
    } catch (const std::bad_alloc&) {
        return {Outcome::Corrupt, name + ": out of memory while decoding"};
    }
    ensureParentFolder(path);
    writeFileAtomically(path, std::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size()),
                        FileSync::Deferred);
    return {Outcome::Written, {}};
}

// Decoded as training data is (image_conversion.h: alpha over white, 16-bit scaled, shorter side
// resized with INTER_AREA down / INTER_CUBIC up, centre crop), always RGB.
std::vector<unsigned char> LmdbImporter::encodeResized(std::string_view value, const std::string& name) const {
    const cv::Mat decoded = data::decodeImage(bytesOf(value), value.size(), name);
    cv::Mat rgb;
    try {
        rgb = data::toModelChannels(data::toEightBit(decoded), 3);
    } catch (const Error& e) {
        throw fileError(name, e.what());
    }
    cv::Mat bgr;  // OpenCV's encoders take BGR
    cv::cvtColor(data::resizeShorterSideAndCenterCrop(rgb, request_.size), bgr, cv::COLOR_RGB2BGR);
    std::vector<int> params;
    if (request_.format == "jpg") params = {cv::IMWRITE_JPEG_QUALITY, request_.jpegQuality};
    std::vector<unsigned char> encoded;
    if (!cv::imencode("." + request_.format, bgr, encoded, params))
        throw Error("OpenCV cannot encode " + request_.format);  // not the entry's fault: fatal
    return encoded;
}

// Whether an earlier run already wrote this file completely. Files appear only whole (atomic
// renames), but without a per-file fsync a power cut can still truncate recent ones, so a raw
// file must have the value's size and an encoded one a whole container.
bool LmdbImporter::isComplete(const std::string& path, std::string_view rawValue) const {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return false;
    if (!resizing()) return size == rawValue.size();
    const std::vector<uint8_t> bytes = data::readFileBytes(path);
    const data::ImageFormat format = data::sniffImageFormat(bytes.data(), bytes.size());
    return format != data::ImageFormat::Unknown && data::containerProblem(format, bytes.data(), bytes.size()).empty();
}

void LmdbImporter::ensureParentFolder(const std::string& path) const {
    const std::string dir = fs::path(path).parent_path().string();
    {
        std::lock_guard<std::mutex> lock(folderMutex_);
        if (createdFolders_.count(dir)) return;
    }
    createFolder(dir);
    std::lock_guard<std::mutex> lock(folderMutex_);
    createdFolders_.insert(dir);
}

void LmdbImporter::reportProgress(int64_t done, bool force) {
    const double now = meter_.elapsedSeconds();
    if (!force && lastReport_ >= 0 && now - lastReport_ < request_.progressIntervalSeconds) return;
    lastReport_ = now;
    sink_.onProgress(meter_.at(done));
}

void LmdbImporter::writeReport() {
    const auto& r = request_;
    nlohmann::json j = {
        {"source", r.dbDir},
        {"out_dir", r.outDir},
        {"mode", resizing() ? "resize" : "raw"},
        {"entries", result_.entries},
        {"written", result_.written},
        {"skipped_existing", result_.skippedExisting},
        {"corrupt", result_.corrupt},
        {"refused_keys", result_.refusedKeys},
        {"seconds", result_.seconds},
        {"problems", allProblems_},
    };
    if (resizing()) j["resize"] = {{"size", r.size}, {"format", r.format}, {"jpeg_quality", r.jpegQuality}};
    else j["raw"] = {{"flat", r.flat}, {"real_extension", r.realExtension}};
    if (r.limit > 0) j["limit"] = r.limit;
    if (!result_.trainDir.empty())
        j["split"] = {{"train", r.splitTrain},
                      {"test", r.splitTest},
                      {"seed", r.seed},
                      {"train_images", result_.trainImages},
                      {"test_images", result_.testImages}};
    result_.reportFile = join(r.outDir, kReportName);
    writeFileAtomically(result_.reportFile, j.dump(2) + "\n");
}

}  // namespace ds::lmdb
