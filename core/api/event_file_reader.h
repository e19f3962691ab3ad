// SPDX-License-Identifier: GPL-3.0-or-later
// Follows a file that an EventFileSink in another process appends to, and replays the complete
// lines that appeared since the last poll into a JobSink. A preview line is turned back into the
// grid by reading samples/step-N.png of the run directory.
#pragma once
#include "core/api/job_sink.h"

#include <cstdint>
#include <string>

namespace ds::api {

class EventFileReader {
public:
    EventFileReader(std::string path, std::string runDir);

    // Reads what was appended since the last call (nothing while the file does not exist).
    void poll(JobSink& sink);

private:
    void replay(const std::string& line, JobSink& sink) const;

    std::string path_;
    std::string runDir_;
    uint64_t offset_ = 0;  // bytes of complete lines read so far
};

}  // namespace ds::api
