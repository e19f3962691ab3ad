// Diffusion Studio - form fields shared by the pages that sample a checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

class QSpinBox;
class QWidget;

namespace ds::ui {

// Image size, 0 shown as "from checkpoint": ours record it, lucidrains' model-N.pt does not.
QSpinBox* makeImageSizeSpin(QWidget* parent);

}  // namespace ds::ui
