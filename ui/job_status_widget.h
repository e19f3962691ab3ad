// Diffusion Studio - the status bar's view of the running job.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>

#include "core/api/job_sink.h"

class QLabel;
class QProgressBar;
class QToolButton;

namespace ds::ui {

class JobRunner;

// "Training · 120 / 2000 steps · 3.1 steps/s · ETA 10:05 [=====   ] [Cancel]": shows the most
// recently started of the jobs it watches; hidden when none runs.
// Object names: "jobStatusName", "jobStatusProgress", "jobStatusEta", "jobStatusCancel".
class JobStatusWidget : public QWidget {
  Q_OBJECT

 public:
  explicit JobStatusWidget(QWidget* parent = nullptr);
  void watch(JobRunner* runner);
  JobRunner* current() const { return current_; }

  // "1:02:03", "4:05" or "" for an unknown ETA.
  static QString formatDuration(double seconds);

 private:
  void show(JobRunner* runner);
  void update(const api::JobProgress& p);
  void finish(JobRunner* runner);

  QPointer<JobRunner> current_;
  QLabel* name_ = nullptr;
  QProgressBar* bar_ = nullptr;
  QLabel* eta_ = nullptr;
  QToolButton* cancel_ = nullptr;
};

}  // namespace ds::ui
