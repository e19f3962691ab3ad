// Diffusion Studio - runs one core job at a time on a worker thread.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_runner.h"

#include "ui/job_queue_sink.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <QTimer>

#include <exception>

namespace ds::ui {
namespace {

// The first line of an exception message (LibTorch's carry long backtraces).
QString firstLine(const char* text) {
    const QString s = QString::fromUtf8(text);
    return s.left(s.indexOf(QLatin1Char('\n')) < 0 ? s.size() : s.indexOf(QLatin1Char('\n')));
}

}  // namespace

JobRunner::JobRunner(const QString& name, QObject* parent) : QObject(parent), name_(name) {
    timer_ = new QTimer(this);
    timer_->setInterval(kDeliveryIntervalMs);
    connect(timer_, &QTimer::timeout, this, &JobRunner::deliver);
}

JobRunner::~JobRunner() {
    if (sink_) {
        sink_->stop.requestStop();
        if (sink_->thread.joinable()) sink_->thread.join();
    }
}

bool JobRunner::start(Job job, bool wantsFrames) {
    if (isRunning()) return false;
    if (sink_ && sink_->thread.joinable()) sink_->thread.join();
    sink_ = std::make_shared<JobQueueSink>(wantsFrames);
    JobQueueSink* sink = sink_.get();
    sink_->thread = std::thread([sink, job = std::move(job)] {
        try {
            job(*sink, sink->stop, sink->pause);
            sink->finish(!sink->stop.stopRequested(), sink->stop.stopRequested(), {});
        } catch (const Cancelled&) {
            sink->finish(false, true, {});
        } catch (const std::exception& e) {
            sink->finish(false, false, firstLine(e.what()));
        } catch (...) {
            sink->finish(false, false, QStringLiteral("unknown error"));
        }
    });
    running_ = true;
    holding_ = false;
    timer_->start();
    Q_EMIT started();
    return true;
}

bool JobRunner::isRunning() const { return running_; }

void JobRunner::cancel() {
    if (!isRunning()) return;
    sink_->stop.requestStop();
    sink_->pause.resume();
}

void JobRunner::setPaused(bool paused) {
    if (!isRunning() || paused == sink_->pause.paused()) return;
    if (paused) sink_->pause.pause();
    else sink_->pause.resume();
    Q_EMIT pausedChanged(paused);
}

bool JobRunner::isPaused() const { return running_ && sink_->pause.paused(); }

bool JobRunner::waitForFinished(int ms) {
    QElapsedTimer clock;
    clock.start();
    while (running_) {
        if (clock.elapsed() > ms) return false;
        if (sink_->ended()) deliver();
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    return true;
}

void JobRunner::deliver() {
    if (!sink_) return;
    // Read before taking the reports: a job holding now has reported all it will until it resumes.
    const bool holding = sink_->pause.holding();
    JobReports r = sink_->take();
    for (const QString& line : r.log) Q_EMIT log(line);
    if (r.progress) Q_EMIT progress(*r.progress);
    if (!r.metrics.isEmpty()) Q_EMIT metrics(r.metrics);
    if (!r.frames.isEmpty()) Q_EMIT frames(r.frames);
    for (const auto& p : r.previews) Q_EMIT preview(p.step, p.grid, p.seconds);
    for (const auto& f : r.fids) Q_EMIT fid(f);
    if (holding != holding_) {
        holding_ = holding;
        Q_EMIT holdingChanged(holding);
    }
    if (r.ended) {
        timer_->stop();
        running_ = false;
        if (sink_->thread.joinable()) sink_->thread.join();
    }
    Q_EMIT delivered();
    if (r.ended) Q_EMIT finished(r.ok, r.cancelled, r.error);
}

}  // namespace ds::ui
