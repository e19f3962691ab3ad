// Diffusion Studio - the frames of one sampler run, as the explorer keeps them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/trajectory_frame_set.h"

#include "ui/qimage_conversion.h"

#include <QCoreApplication>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace ds::ui {
namespace {
constexpr int kGap = 4;
}

ExplorerFrame ExplorerFrame::fromCore(const api::TrajectoryFrame& f) {
    ExplorerFrame e;
    e.step = f.step;
    e.steps = f.steps;
    e.t = f.t;
    e.modelT = f.modelT;
    e.alphaCumprod = f.alphaCumprod;
    e.xt = toQImage(f.xt);
    e.x0 = toQImage(f.x0);
    return e;
}

QString ExplorerFrame::caption() const {
    // Whole timesteps as integers; the ODE solvers' fractional ones with a decimal.
    const QString timestep = t < 0 ? QCoreApplication::translate("ds::ui::ExplorerFrame", "final")
                             : std::abs(t - std::round(t)) < 1e-6 ? QString::number(qint64(std::llround(t)))
                                                                  : QString::number(t, 'f', 1);
    // The adaptive method does not know its number of steps ahead.
    const QString stepText =
        steps > 0 ? QCoreApplication::translate("ds::ui::ExplorerFrame", "step %1 / %2").arg(step).arg(steps)
                  : QCoreApplication::translate("ds::ui::ExplorerFrame", "step %1").arg(step);
    return QCoreApplication::translate("ds::ui::ExplorerFrame", "%1 · t = %2 · ᾱ = %3")
        .arg(stepText, timestep)
        .arg(alphaCumprod, 0, 'g', 4);
}

namespace {
// log(SNR) = log(alpha-bar / (1 - alpha-bar)), bounded for the clean sample (alpha-bar 1).
double logSnr(double alphaCumprod) {
    const double a = std::clamp(alphaCumprod, 1e-12, 1.0 - 1e-12);
    return std::log(a) - std::log1p(-a);
}
}  // namespace

int TrajectoryFrameSet::nearestByNoise(double alphaCumprod) const {
    int best = -1;
    double bestDistance = 0;
    const double target = logSnr(alphaCumprod);
    for (int i = 0; i < size(); ++i) {
        const double d = std::abs(logSnr(frames_.at(i).alphaCumprod) - target);
        if (best < 0 || d < bestDistance) {
            best = i;
            bestDistance = d;
        }
    }
    return best;
}

QImage TrajectoryFrameSet::framePair(const ExplorerFrame& f) {
    const int w = f.xt.width();
    const int h = f.xt.height();
    QImage out(w, 2 * h + kGap, QImage::Format_RGB888);
    out.fill(Qt::black);
    QPainter p(&out);
    p.drawImage(0, 0, f.xt);
    if (!f.x0.isNull()) p.drawImage(0, h + kGap, f.x0);
    return out;
}

QImage TrajectoryFrameSet::strip() const {
    if (frames_.isEmpty()) return {};
    const QImage first = framePair(frames_.first());
    QImage out(size() * (first.width() + kGap) - kGap, first.height(), QImage::Format_RGB888);
    out.fill(Qt::black);
    QPainter p(&out);
    for (int i = 0; i < size(); ++i) p.drawImage(i * (first.width() + kGap), 0, framePair(frames_.at(i)));
    return out;
}

}  // namespace ds::ui
