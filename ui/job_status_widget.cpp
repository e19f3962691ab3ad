// Diffusion Studio - the status bar's view of the running job.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_status_widget.h"

#include "ui/job_progress_view.h"
#include "ui/job_runner.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace ds::ui {

JobStatusWidget::JobStatusWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    name_ = new QLabel(this);
    name_->setObjectName(QStringLiteral("jobStatusName"));
    progress_ = new JobProgressView(QStringLiteral("jobStatus"), this);
    progress_->setMinimumWidth(420);
    cancel_ = new QToolButton(this);
    cancel_->setObjectName(QStringLiteral("jobStatusCancel"));
    retranslate();
    layout->addWidget(name_);
    layout->addWidget(progress_);
    layout->addWidget(cancel_);
    connect(cancel_, &QToolButton::clicked, this, [this] {
        if (current_) current_->cancel();
    });
    setVisible(false);
}

// The status bar outlives the pages a language switch rebuilds: it translates itself again.
void JobStatusWidget::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange) retranslate();
    QWidget::changeEvent(event);
}

void JobStatusWidget::retranslate() {
    cancel_->setText(tr("Cancel"));
    cancel_->setToolTip(tr("Stop the running job (training saves a checkpoint first)"));
    if (current_) name_->setText(current_->name());
}

void JobStatusWidget::watch(JobRunner* runner) {
    connect(runner, &JobRunner::started, this, [this, runner] { show(runner); });
    connect(runner, &JobRunner::progress, this, [this, runner](const api::JobProgress& p) {
        if (runner == current_) progress_->showProgress(p);
    });
    connect(runner, &JobRunner::finished, this, [this, runner] { finish(runner); });
}

void JobStatusWidget::show(JobRunner* runner) {
    current_ = runner;
    name_->setText(runner->name());
    progress_->showStarted();
    setVisible(true);
}

void JobStatusWidget::finish(JobRunner* runner) {
    if (runner != current_) return;
    current_ = nullptr;
    setVisible(false);
}

}  // namespace ds::ui
