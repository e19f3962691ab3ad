// Diffusion Studio - a progress bar with the rate and ETA of a job.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"

#include <QString>
#include <QWidget>

#include <string>

class QLabel;
class QProgressBar;

namespace ds::ui {

class JobRunner;

// [=====     ] 120 / 2000 steps · 3.1/s · ETA 10:05 — busy until the first report, full when
// the job succeeds, empty otherwise. Used by the status bar and by pages with their own bar.
// Object names: "<prefix>Progress" (the bar), "<prefix>Eta" (the text).
class JobProgressView : public QWidget {
    Q_OBJECT

public:
    JobProgressView(const QString& objectNamePrefix, QWidget* parent = nullptr);

    // Shows the reports of `runner` (and only its): call once per runner.
    void follow(JobRunner* runner);
    void showProgress(const api::JobProgress& p);
    void showStarted();
    void showFinished(bool ok);
    QString text() const;

    // "1:02:03", "4:05" or "" for an unknown ETA.
    static QString formatDuration(double seconds);
    // "120 / 2000 steps · 3.1/s · ETA 10:05"
    static QString describe(const api::JobProgress& p);
    static QString unitText(const std::string& unit);
    // Counts and rates from 100,000 on abbreviated ("222.0 M"): PRDC counts distances in the 10^8s.
    static QString compactNumber(double value, int decimals);

private:
    QProgressBar* bar_ = nullptr;
    QLabel* text_ = nullptr;
};

}  // namespace ds::ui
