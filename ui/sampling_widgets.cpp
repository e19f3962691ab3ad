// Diffusion Studio - form fields shared by the pages that sample a checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sampling_widgets.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QSpinBox>

namespace ds::ui {

QSpinBox* makeImageSizeSpin(QWidget* parent) {
    auto* spin = new QSpinBox(parent);
    spin->setRange(0, 1024);
    spin->setSingleStep(8);
    spin->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    spin->setSpecialValueText(QCoreApplication::translate("ds::ui::SamplingWidgets", "from checkpoint"));
    spin->setToolTip(QCoreApplication::translate(
        "ds::ui::SamplingWidgets", "The size the model was trained at; lucidrains' checkpoints do not record it"));
    return spin;
}

QComboBox* makeFlowPathCombo(QWidget* parent) {
    const auto tr = [](const char* text) { return QCoreApplication::translate("ds::ui::SamplingWidgets", text); };
    auto* combo = new QComboBox(parent);
    combo->addItem(tr("OT-CFM (exact minibatch OT)"), QStringLiteral("otcfm"));
    combo->addItem(tr("I-CFM (independent)"), QStringLiteral("icfm"));
    combo->addItem(tr("OT path (Lipman; g4vrel/CFM's)"), QStringLiteral("ot"));
    combo->addItem(tr("Schrödinger bridge CFM"), QStringLiteral("sbcfm"));
    combo->addItem(tr("Variance preserving"), QStringLiteral("vp"));
    combo->addItem(tr("Target CFM"), QStringLiteral("target"));
    combo->setToolTip(
        tr("The probability path a flow-matching model learns (torchcfm's definitions; g4vrel/CFM uses Lipman's OT "
           "path)"));
    return combo;
}

QComboBox* makeWeightsCombo(QWidget* parent) {
    const auto tr = [](const char* text) { return QCoreApplication::translate("ds::ui::SamplingWidgets", text); };
    auto* combo = new QComboBox(parent);
    combo->addItem(tr("EMA"), QString::fromLatin1(api::weightsName(api::Weights::Ema)));
    combo->addItem(tr("Online"), QString::fromLatin1(api::weightsName(api::Weights::Online)));
    combo->setToolTip(
        tr("EMA: the moving average of the weights, what previews sample; Online: the weights the "
           "optimiser trained"));
    return combo;
}

api::Weights weightsOf(const QComboBox* combo) {
    return api::parseWeights(combo->currentData().toString().toStdString()).value_or(api::Weights::Ema);
}

void selectWeights(QComboBox* combo, const QString& name) {
    const int index = combo->findData(name);
    if (index >= 0) combo->setCurrentIndex(index);
}

}  // namespace ds::ui
