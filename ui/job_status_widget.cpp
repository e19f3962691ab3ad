// Diffusion Studio - the status bar's view of the running job.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_status_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include <cmath>

#include "ui/job_runner.h"

namespace ds::ui {

JobStatusWidget::JobStatusWidget(QWidget* parent) : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  name_ = new QLabel(this);
  name_->setObjectName(QStringLiteral("jobStatusName"));
  bar_ = new QProgressBar(this);
  bar_->setObjectName(QStringLiteral("jobStatusProgress"));
  bar_->setMaximumWidth(220);
  bar_->setTextVisible(true);
  eta_ = new QLabel(this);
  eta_->setObjectName(QStringLiteral("jobStatusEta"));
  eta_->setMinimumWidth(160);
  cancel_ = new QToolButton(this);
  cancel_->setObjectName(QStringLiteral("jobStatusCancel"));
  cancel_->setText(tr("Cancel"));
  cancel_->setToolTip(tr("Stop the running job (training saves a checkpoint first)"));
  layout->addWidget(name_);
  layout->addWidget(bar_);
  layout->addWidget(eta_);
  layout->addWidget(cancel_);
  connect(cancel_, &QToolButton::clicked, this, [this] {
    if (current_) current_->cancel();
  });
  setVisible(false);
}

void JobStatusWidget::watch(JobRunner* runner) {
  connect(runner, &JobRunner::started, this, [this, runner] { show(runner); });
  connect(runner, &JobRunner::progress, this, [this, runner](const api::JobProgress& p) {
    if (runner == current_) update(p);
  });
  connect(runner, &JobRunner::finished, this, [this, runner] { finish(runner); });
}

QString JobStatusWidget::formatDuration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return {};
  const qint64 s = static_cast<qint64>(std::llround(seconds));
  const qint64 h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h > 0) return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(sec, 2, 10, QLatin1Char('0'));
  return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
}

void JobStatusWidget::show(JobRunner* runner) {
  current_ = runner;
  name_->setText(runner->name());
  bar_->setRange(0, 0);  // busy until the first progress report
  eta_->clear();
  setVisible(true);
}

void JobStatusWidget::update(const api::JobProgress& p) {
  if (p.total > 0) {
    // QProgressBar holds ints: scale long jobs down.
    const double scale = p.total > 1000000 ? 1000000.0 / double(p.total) : 1.0;
    bar_->setRange(0, static_cast<int>(double(p.total) * scale));
    bar_->setValue(static_cast<int>(double(p.done) * scale));
  }
  QString text = tr("%1 / %2 %3").arg(p.done).arg(p.total).arg(QString::fromStdString(p.unit));
  if (p.ratePerSecond > 0) text += tr(" · %1/s").arg(p.ratePerSecond, 0, 'f', p.ratePerSecond < 10 ? 2 : 1);
  const QString eta = formatDuration(p.etaSeconds);
  if (!eta.isEmpty()) text += tr(" · ETA %1").arg(eta);
  eta_->setText(text);
}

void JobStatusWidget::finish(JobRunner* runner) {
  if (runner != current_) return;
  current_ = nullptr;
  setVisible(false);
}

}  // namespace ds::ui
