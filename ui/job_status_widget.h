// Diffusion Studio - the status bar's view of the running job.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointer>
#include <QWidget>

class QLabel;
class QToolButton;

namespace ds::ui {

class JobProgressView;
class JobRunner;

// "Training run-a [=====   ] 120 / 2000 steps · 3.1/s · ETA 10:05 [Cancel]": shows the most
// recently started of the jobs it watches; hidden when none runs.
// Object names: "jobStatusName", "jobStatusProgress", "jobStatusEta", "jobStatusCancel".
class JobStatusWidget : public QWidget {
    Q_OBJECT

public:
    explicit JobStatusWidget(QWidget* parent = nullptr);
    void watch(JobRunner* runner);
    JobRunner* current() const { return current_; }

protected:
    void changeEvent(QEvent* event) override;  // a language switch retranslates the button

private:
    void retranslate();
    void show(JobRunner* runner);
    void finish(JobRunner* runner);

    QPointer<JobRunner> current_;
    QLabel* name_ = nullptr;
    JobProgressView* progress_ = nullptr;
    QToolButton* cancel_ = nullptr;
};

}  // namespace ds::ui
