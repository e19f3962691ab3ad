// SPDX-License-Identifier: GPL-3.0-or-later
// The import job behind api::runLmdbImport: picks the entries (all, the first N, or a seeded
// train/test split), exports each one raw or resized on a pool of threads, replaces corrupt
// entries by further candidates until the requested counts are met, and reports.
#pragma once
#include "core/api/lmdb_import.h"
#include "core/lmdb/lmdb_environment.h"
#include "core/lmdb/lmdb_key_list.h"
#include "core/lmdb/lsun_naming.h"
#include "core/util/progress_meter.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace ds::lmdb {

class LmdbImporter {
public:
    // Validates the request and opens the database; throws ds::Error naming what is wrong.
    LmdbImporter(api::LmdbImportRequest request, api::JobSink& sink, const StopToken& stop);
    api::LmdbImportResult run();

private:
    // An output folder and how many images it should end up with.
    struct Destination {
        std::string dir;
        int64_t quota = 0;
        int64_t delivered = 0;  // written or already there
    };
    struct Task {
        size_t keyIndex = 0;
        size_t destination = 0;
    };
    enum class Outcome { Pending, Written, Existing, Corrupt, RefusedKey };
    struct TaskResult {
        Outcome outcome = Outcome::Pending;
        std::string problem;  // "key: problem" for Corrupt and RefusedKey
    };

    void validateRequest() const;
    void planDestinations();
    std::vector<Task> nextRound();
    void runRound(const std::vector<Task>& tasks);
    void tally(const std::vector<Task>& tasks, const std::vector<TaskResult>& results);
    TaskResult processTask(const Task& task) const;
    TaskResult exportRaw(std::string_view key, std::string_view value, const Destination& destination) const;
    TaskResult exportResized(std::string_view key, std::string_view value, const Destination& destination) const;
    std::vector<unsigned char> encodeResized(std::string_view value, const std::string& name) const;
    bool isComplete(const std::string& path, std::string_view rawValue) const;
    void ensureParentFolder(const std::string& path) const;
    void reportProgress(int64_t done, bool force);
    void writeReport();
    bool resizing() const { return request_.size > 0; }

    api::LmdbImportRequest request_;
    api::JobSink& sink_;
    const StopToken& stop_;
    std::unique_ptr<LmdbEnvironment> env_;
    LmdbKeyList keys_;
    std::vector<int64_t> candidates_;  // key indices in the order they are tried
    size_t nextCandidate_ = 0;
    std::vector<Destination> destinations_;
    int threads_ = 1;

    api::LmdbImportResult result_;
    std::vector<std::string> allProblems_;
    ProgressMeter meter_;
    int64_t planned_ = 0;  // tasks of all rounds so far
    std::atomic<int64_t> processed_{0};
    double lastReport_ = -1.0;
    std::thread::id jobThread_;

    mutable std::mutex folderMutex_;  // guards createdFolders_
    mutable std::unordered_set<std::string> createdFolders_;
};

}  // namespace ds::lmdb
