// Diffusion Studio - form fields shared by the pages that sample a checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

class QComboBox;
class QSpinBox;
class QWidget;

namespace ds::ui {

// Image size, 0 shown as "from checkpoint": ours record it, lucidrains' model-N.pt does not.
QSpinBox* makeImageSizeSpin(QWidget* parent);

// Flow matching's probability paths (torchcfm's names as item data: otcfm, icfm, ot, sbcfm, vp,
// target), OT-CFM first: the Train page and the Trajectories page offer the same list.
QComboBox* makeFlowPathCombo(QWidget* parent);

}  // namespace ds::ui
