// Diffusion Studio - form fields shared by the pages that sample a checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/api/model_choices.h"

class QComboBox;
class QString;
class QSpinBox;
class QWidget;

namespace ds::ui {

// Image size, 0 shown as "from checkpoint": ours record it, lucidrains' model-N.pt does not.
QSpinBox* makeImageSizeSpin(QWidget* parent);

// Flow matching's probability paths (torchcfm's names as item data: otcfm, icfm, ot, sbcfm, vp,
// target), OT-CFM first: the Train page and the Trajectories page offer the same list.
QComboBox* makeFlowPathCombo(QWidget* parent);

// Which of a checkpoint's weights to sample, EMA first. The items' data are the command line's
// names ("ema", "online"), which the settings and PNG metadata (ds.weights) hold too.
QComboBox* makeWeightsCombo(QWidget* parent);
api::Weights weightsOf(const QComboBox* combo);
// Selects the weights a name stands for; an unknown name leaves the choice as it is.
void selectWeights(QComboBox* combo, const QString& name);

}  // namespace ds::ui
