// Diffusion Studio - the JobSink a worker thread reports into, drained by the UI thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace ds::ui {

// Everything a job reported since the last drain.
struct JobReports {
    std::optional<api::JobProgress> progress;  // only the latest matters
    QVector<api::TrainMetrics> metrics;
    QVector<api::TrajectoryFrame> frames;
    // Every preview: the Train page keeps them all (a job writes one every K steps, and a
    // multi-process run replays several at once from its event file).
    struct Preview {
        qint64 step = 0;
        QImage grid;
        double seconds = -1;  // the time sampling it took; -1: not known
    };
    QVector<Preview> previews;
    QVector<api::TrainFid> fids;  // FID during training, every measurement
    QStringList log;
    bool ended = false;
    bool ok = false;
    bool cancelled = false;
    QString error;
};

// Thread-safe store of a job's reports, plus the stop token, pause gate and thread of the job.
class JobQueueSink : public api::JobSink {
public:
    explicit JobQueueSink(bool wantsFrames) : wantsFrames_(wantsFrames) {}
    ~JobQueueSink() override;

    void onProgress(const api::JobProgress& p) override;
    void onLog(const std::string& line) override;
    void onFrame(const api::TrajectoryFrame& frame) override;
    void onMetrics(const api::TrainMetrics& m) override;
    void onPreview(int64_t step, const api::Image& grid, double seconds) override;
    void onFid(const api::TrainFid& fid) override;
    bool wantsFrames() const override { return wantsFrames_; }

    void finish(bool ok, bool cancelled, const QString& error);
    JobReports take();
    bool ended() const { return ended_.load(); }

    StopToken stop;
    PauseGate pause;
    std::thread thread;

private:
    const bool wantsFrames_;
    std::mutex mutex_;
    JobReports pending_;
    std::atomic<bool> ended_{false};
};

}  // namespace ds::ui
