// Diffusion Studio - a progress bar with the rate and ETA of a job.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_progress_view.h"

#include "ui/job_runner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>

#include <cmath>

namespace ds::ui {

JobProgressView::JobProgressView(const QString& objectNamePrefix, QWidget* parent) : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    bar_ = new QProgressBar(this);
    bar_->setObjectName(objectNamePrefix + QStringLiteral("Progress"));
    bar_->setRange(0, 1);
    bar_->setValue(0);
    text_ = new QLabel(this);
    text_->setObjectName(objectNamePrefix + QStringLiteral("Eta"));
    text_->setMinimumWidth(200);
    layout->addWidget(bar_, 1);
    layout->addWidget(text_);
}

void JobProgressView::follow(JobRunner* runner) {
    connect(runner, &JobRunner::started, this, &JobProgressView::showStarted);
    connect(runner, &JobRunner::progress, this, &JobProgressView::showProgress);
    connect(runner, &JobRunner::finished, this, [this](bool ok) { showFinished(ok); });
}

void JobProgressView::showStarted() {
    bar_->setRange(0, 0);  // busy until the first progress report
    text_->clear();
}

void JobProgressView::showProgress(const api::JobProgress& p) {
    if (p.total > 0) {
        // QProgressBar holds ints: scale long jobs down.
        const double scale = p.total > 1000000 ? 1000000.0 / double(p.total) : 1.0;
        bar_->setRange(0, static_cast<int>(double(p.total) * scale));
        bar_->setValue(static_cast<int>(double(p.done) * scale));
    }
    text_->setText(describe(p));
}

void JobProgressView::showFinished(bool ok) {
    bar_->setRange(0, 1);
    bar_->setValue(ok ? 1 : 0);
}

QString JobProgressView::text() const { return text_->text(); }

QString JobProgressView::formatDuration(double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) return {};
    const qint64 s = static_cast<qint64>(std::llround(seconds));
    const qint64 h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(sec, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(sec, 2, 10, QLatin1Char('0'));
}

// The units core counts in ("steps", "images", ...), in the interface's language.
QString JobProgressView::unitText(const std::string& unit) {
    if (unit == "steps") return tr("steps");
    if (unit == "images") return tr("images");
    if (unit == "runs") return tr("runs");
    if (unit == "entries") return tr("entries");
    if (unit == "distances") return tr("distances");        // precision/recall and density/coverage
    if (unit == "t/1000") return tr("‰ of the time span");  // adaptive solvers: how far along t
    return QString::fromStdString(unit);
}

QString JobProgressView::compactNumber(double value, int decimals) {
    if (value < 1e5) return QString::number(value, 'f', decimals);
    if (value < 1e6) return QStringLiteral("%1 k").arg(value / 1e3, 0, 'f', 0);
    if (value < 1e9) return QStringLiteral("%1 M").arg(value / 1e6, 0, 'f', 1);
    return QStringLiteral("%1 G").arg(value / 1e9, 0, 'f', 1);
}

QString JobProgressView::describe(const api::JobProgress& p) {
    QString text =
        tr("%1 / %2 %3").arg(compactNumber(double(p.done), 0), compactNumber(double(p.total), 0), unitText(p.unit));
    if (p.ratePerSecond > 0) text += tr(" · %1/s").arg(compactNumber(p.ratePerSecond, p.ratePerSecond < 10 ? 2 : 1));
    const QString eta = formatDuration(p.etaSeconds);
    if (!eta.isEmpty()) text += tr(" · ETA %1").arg(eta);
    return text;
}

}  // namespace ds::ui
