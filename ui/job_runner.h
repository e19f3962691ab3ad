// Diffusion Studio - runs one core job at a time on a worker thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"
#include "core/util/pause_gate.h"
#include "core/util/stop_token.h"

#include <QImage>
#include <QObject>
#include <QString>
#include <QVector>

#include <functional>
#include <memory>

class QTimer;

namespace ds::ui {

class JobQueueSink;

// Runs a core job (training, sampling...) off the UI thread and hands its reports to the UI.
// The job's callbacks only store into queues; a timer on the UI thread drains them a few times a
// second, so a job that reports thousands of steps per second never floods the event loop: the
// UI gets the latest progress, and metrics and frames in batches.
class JobRunner : public QObject {
    Q_OBJECT

public:
    using Job = std::function<void(api::JobSink& sink, const StopToken& stop, const PauseGate& pause)>;

    explicit JobRunner(const QString& name, QObject* parent = nullptr);
    // Stops a running job and waits for it (jobs check their stop token between steps).
    ~JobRunner() override;

    // Starts `job` unless one is running (returns false then). wantsFrames: the job builds per-step
    // sampler frames (they cost time).
    bool start(Job job, bool wantsFrames = false);
    // From start() until finished() has been emitted.
    bool isRunning() const;
    QString name() const { return name_; }
    void setName(const QString& name) { name_ = name; }

    void cancel();
    void setPaused(bool paused);
    // Asked to pause (the job may still be finishing a step).
    bool isPaused() const;
    // The job waits at the pause gate and everything it reported before has been delivered:
    // nothing more arrives until it is resumed or cancelled. Follows holdingChanged().
    bool isHolding() const { return holding_; }

    // Waits up to `ms` for the job to end and delivers everything it reported; for tests and
    // shutdown. Returns false on timeout.
    bool waitForFinished(int ms);

    // How often reports are delivered to the UI thread.
    static constexpr int kDeliveryIntervalMs = 100;

Q_SIGNALS:
    void started();
    void progress(const ds::api::JobProgress& progress);
    void metrics(const QVector<ds::api::TrainMetrics>& batch);
    void frames(const QVector<ds::api::TrajectoryFrame>& batch);
    // A training preview grid and the seconds sampling it took (-1: not known).
    void preview(qint64 step, const QImage& grid, double seconds);
    // A training run's FID (or a classifier's FD) of its samples at a step.
    void fid(const ds::api::TrainFid& fid);
    void log(const QString& line);
    void pausedChanged(bool paused);
    // The job reached the pause gate (after the delivery of its last reports), or left it.
    void holdingChanged(bool holding);
    // After each delivery of reports (every kDeliveryIntervalMs while a job runs, and at its end).
    void delivered();
    // ok: the job returned normally; cancelled: it stopped on request; error: why it failed.
    void finished(bool ok, bool cancelled, const QString& error);

private:
    void deliver();

    QString name_;
    std::shared_ptr<JobQueueSink> sink_;
    QTimer* timer_ = nullptr;
    bool running_ = false;
    bool holding_ = false;
};

}  // namespace ds::ui
