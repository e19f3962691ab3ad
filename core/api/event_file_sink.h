// SPDX-License-Identifier: GPL-3.0-or-later
// A JobSink that writes a job's reports as JSON lines to a file, one flushed line per report, so
// that another process can follow the job (the app following rank 0 of a multi-process run; see
// EventFileReader). Previews are written as their step only: the grid is in the run directory.
#pragma once
#include "core/api/job_sink.h"

#include <fstream>
#include <string>

namespace ds::api {

class EventFileSink : public JobSink {
public:
    // Throws ds::Error naming the file when it cannot be opened for appending.
    explicit EventFileSink(const std::string& path);

    void onProgress(const JobProgress& p) override;
    void onLog(const std::string& line) override;
    void onMetrics(const TrainMetrics& m) override;
    void onPreview(int64_t step, const Image& grid, double seconds) override;
    void onFid(const TrainFid& fid) override;

private:
    void write(const std::string& line);

    std::string path_;
    std::ofstream out_;
};

}  // namespace ds::api
