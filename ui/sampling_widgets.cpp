// Diffusion Studio - form fields shared by the pages that sample a checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sampling_widgets.h"

#include <QCoreApplication>
#include <QSpinBox>

namespace ds::ui {

QSpinBox* makeImageSizeSpin(QWidget* parent) {
  auto* spin = new QSpinBox(parent);
  spin->setRange(0, 1024);
  spin->setSingleStep(8);
  spin->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
  spin->setSpecialValueText(QCoreApplication::translate("ds::ui::SamplingWidgets", "from checkpoint"));
  spin->setToolTip(QCoreApplication::translate("ds::ui::SamplingWidgets", "The size the model was trained at; lucidrains' checkpoints do not record it"));
  return spin;
}

}  // namespace ds::ui
