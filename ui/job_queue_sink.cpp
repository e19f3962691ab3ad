// Diffusion Studio - the JobSink a worker thread reports into, drained by the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_queue_sink.h"

#include "ui/qimage_conversion.h"

namespace ds::ui {

JobQueueSink::~JobQueueSink() {
    if (thread.joinable()) thread.join();
}

void JobQueueSink::onProgress(const api::JobProgress& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.progress = p;
}

void JobQueueSink::onLog(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.log.append(QString::fromStdString(line));
}

void JobQueueSink::onFrame(const api::TrajectoryFrame& frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.frames.append(frame);
}

void JobQueueSink::onMetrics(const api::TrainMetrics& m) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.metrics.append(m);
}

void JobQueueSink::onPreview(int64_t step, const api::Image& grid, double seconds) {
    QImage image = toQImage(grid);  // converted here, off the UI thread
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.previews.append({static_cast<qint64>(step), std::move(image), seconds});
}

void JobQueueSink::onFid(const api::TrainFid& fid) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.fids.append(fid);
}

void JobQueueSink::finish(bool ok, bool cancelled, const QString& error) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.ended = true;
        pending_.ok = ok;
        pending_.cancelled = cancelled;
        pending_.error = error;
    }
    ended_.store(true);
}

JobReports JobQueueSink::take() {
    std::lock_guard<std::mutex> lock(mutex_);
    JobReports out = std::move(pending_);
    pending_ = JobReports{};
    return out;
}

}  // namespace ds::ui
