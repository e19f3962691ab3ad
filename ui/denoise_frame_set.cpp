// Diffusion Studio - the frames of one sampler run, as the explorer keeps them.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/denoise_frame_set.h"

#include <QCoreApplication>
#include <QPainter>

#include "ui/qimage_conversion.h"

namespace ds::ui {
namespace {
constexpr int kGap = 4;
}

ExplorerFrame ExplorerFrame::fromCore(const api::DenoiseFrame& f) {
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
  const QString t = this->t < 0 ? QCoreApplication::translate("ds::ui::ExplorerFrame", "final")
                                : QString::number(this->t);
  return QCoreApplication::translate("ds::ui::ExplorerFrame", "step %1 / %2 · t = %3 · ᾱ = %4")
      .arg(step)
      .arg(steps)
      .arg(t)
      .arg(alphaCumprod, 0, 'g', 4);
}

QImage DenoiseFrameSet::framePair(const ExplorerFrame& f) {
  const int w = f.xt.width();
  const int h = f.xt.height();
  QImage out(w, 2 * h + kGap, QImage::Format_RGB888);
  out.fill(Qt::black);
  QPainter p(&out);
  p.drawImage(0, 0, f.xt);
  if (!f.x0.isNull()) p.drawImage(0, h + kGap, f.x0);
  return out;
}

QImage DenoiseFrameSet::strip() const {
  if (frames_.isEmpty()) return {};
  const QImage first = framePair(frames_.first());
  QImage out(size() * (first.width() + kGap) - kGap, first.height(), QImage::Format_RGB888);
  out.fill(Qt::black);
  QPainter p(&out);
  for (int i = 0; i < size(); ++i) p.drawImage(i * (first.width() + kGap), 0, framePair(frames_.at(i)));
  return out;
}

}  // namespace ds::ui
