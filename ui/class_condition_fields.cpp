// Diffusion Studio - the class and classifier-free guidance of a class-conditional checkpoint.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/class_condition_fields.h"

#include "core/api/sampling.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QSettings>
#include <QSignalBlocker>
#include <QSlider>

#include <algorithm>
#include <cmath>

namespace ds::ui {

ClassConditionFields::ClassConditionFields(const QString& prefix, const QString& suffix, QWidget* parent)
    : QObject(parent) {
    class_ = new QComboBox(parent);
    class_->setObjectName(prefix + QStringLiteral("Class") + suffix);
    class_->setToolTip(tr("The class of every image, or every class in turn (one per image)"));
    condScale_ = new QDoubleSpinBox(parent);
    condScale_->setObjectName(prefix + QStringLiteral("CondScale") + suffix);
    condScale_->setRange(0.0, 30.0);
    condScale_->setSingleStep(0.5);
    condScale_->setDecimals(2);
    condScale_->setValue(6.0);  // lucidrains' sample() default
    condScale_->setToolTip(
        tr("Classifier-free guidance scale W: 1 is the conditional model alone, "
           "larger values follow the class more closely (3-8 is usual)"));
    rescaledPhi_ = new QDoubleSpinBox(parent);
    rescaledPhi_->setObjectName(prefix + QStringLiteral("RescaledPhi") + suffix);
    rescaledPhi_->setRange(0.0, 1.0);
    rescaledPhi_->setSingleStep(0.1);
    rescaledPhi_->setDecimals(2);
    rescaledPhi_->setValue(0.7);
    rescaledPhi_->setToolTip(
        tr("Rescale the guided prediction towards the conditional one's spread "
           "(Lin et al. 2023): less over-saturation at large W"));
    cfgPlusPlus_ = new QCheckBox(tr("CFG++ (DDPM and DDIM)"), parent);
    cfgPlusPlus_->setObjectName(prefix + QStringLiteral("CfgPlusPlus") + suffix);
    cfgPlusPlus_->setToolTip(tr("Renoise with the null class's prediction (Chung et al. 2024)"));
    // The scale as a slider (half steps to 30) beside the spin box that holds the exact value.
    condScaleSlider_ = new QSlider(Qt::Horizontal, parent);
    condScaleSlider_->setObjectName(prefix + QStringLiteral("CondScaleSlider") + suffix);
    condScaleSlider_->setRange(0, int(condScale_->maximum() / kSliderStep));
    condScaleSlider_->setToolTip(condScale_->toolTip());
    condScaleSlider_->setValue(int(std::lround(condScale_->value() / kSliderStep)));
    connect(condScaleSlider_, &QSlider::valueChanged, this, [this](int v) {
        // A spin value between two notches stays until the slider moves to another notch.
        if (int(std::lround(condScale_->value() / kSliderStep)) != v) condScale_->setValue(v * kSliderStep);
    });
    connect(condScale_, &QDoubleSpinBox::valueChanged, this, [this](double w) {
        const QSignalBlocker block(condScaleSlider_);
        condScaleSlider_->setValue(int(std::lround(w / kSliderStep)));
    });
    condScaleRow_ = new QWidget(parent);
    auto* row = new QHBoxLayout(condScaleRow_);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(condScaleSlider_, 1);
    row->addWidget(condScale_);
    for (auto* spin : {condScale_, rescaledPhi_})
        connect(spin, &QDoubleSpinBox::valueChanged, this, &ClassConditionFields::changed);
    connect(class_, &QComboBox::currentIndexChanged, this, &ClassConditionFields::changed);
    connect(cfgPlusPlus_, &QCheckBox::toggled, this, &ClassConditionFields::changed);
}

void ClassConditionFields::addRowsTo(QFormLayout* form) {
    form_ = form;
    form->addRow(tr("Class"), class_);
    form->addRow(tr("Guidance scale"), condScaleRow_);
    form->addRow(tr("Rescaled φ"), rescaledPhi_);
    form->addRow(QString(), cfgPlusPlus_);
    showRows(classes_.count > 0);
}

void ClassConditionFields::showRows(bool on) {
    if (!form_) return;
    // The guidance rows the model allows: none (W = 1 only), the scale (flows), or all of
    // lucidrains' options.
    using Guidance = api::CheckpointClasses::Guidance;
    const bool scale = on && classes_.guidance != Guidance::None;
    const bool lucidrains = on && classes_.guidance == Guidance::Lucidrains;
    form_->setRowVisible(class_, on);
    form_->setRowVisible(condScaleRow_, scale);
    form_->setRowVisible(rescaledPhi_, lucidrains);
    form_->setRowVisible(cfgPlusPlus_, lucidrains);
}

void ClassConditionFields::setClasses(const api::CheckpointClasses& classes) {
    const int keep = class_->count() > 0 ? selectedClass() : pendingClass_;
    classes_ = classes;
    class_->blockSignals(true);
    class_->clear();
    class_->addItem(tr("Every class in turn"), -1);
    class_->addItem(tr("One row per class"), kRowPerClass);
    for (int k = 0; k < classes.count; ++k) {
        const QString name =
            size_t(k) < classes.names.size() ? QString::fromStdString(classes.names[size_t(k)]) : QString();
        class_->addItem(name.isEmpty() ? QString::number(k) : QStringLiteral("%1 · %2").arg(k).arg(name), k);
    }
    const int index = class_->findData(keep);
    class_->setCurrentIndex(index >= 0 ? index : 0);
    class_->blockSignals(false);
    showRows(classes.count > 0);
    Q_EMIT changed();
}

void ClassConditionFields::setCheckpoint(const QString& path) {
    // Called as a path is typed: read only complete file names, and each file once.
    if (path == checkpoint_) return;
    checkpoint_ = path;
    api::CheckpointClasses classes;
    if (QFileInfo(path).isFile()) {
        try {
            classes = api::checkpointClasses(path.toStdString());
        } catch (const std::exception&) {
            // Not a checkpoint we can read: sampling says why.
        }
    }
    setClasses(classes);
}

int ClassConditionFields::selectedClass() const {
    return class_->count() > 0 ? class_->currentData().toInt() : pendingClass_;
}

void ClassConditionFields::setSelectedClass(int k) {
    pendingClass_ = k;
    const int index = class_->findData(k);
    if (index >= 0) class_->setCurrentIndex(index);
}

double ClassConditionFields::condScale() const { return condScale_->value(); }
void ClassConditionFields::setCondScale(double w) { condScale_->setValue(w); }

void ClassConditionFields::applyTo(api::SampleRequest& r) const {
    if (classes_.count <= 0) return;
    auto& c = r.conditioning;
    const int k = selectedClass();
    c.classes = k >= 0 ? std::vector<int>{k} : std::vector<int>{};
    c.rowPerClass = k == kRowPerClass;
    using Guidance = api::CheckpointClasses::Guidance;
    if (classes_.guidance == Guidance::None) return;  // the conditional model alone
    c.condScale = condScale_->value();
    if (classes_.guidance != Guidance::Lucidrains) return;
    c.rescaledPhi = rescaledPhi_->value();
    c.cfgPlusPlus = cfgPlusPlus_->isChecked();
}

void ClassConditionFields::restoreFrom(const api::ImageMetadata& m) {
    bool ok = false;
    const int k = QString::fromStdString(api::metadataValue(m, "ds.class")).toInt(&ok);
    if (ok) {
        setSelectedClass(k);
    } else if (const auto list = QString::fromStdString(api::metadataValue(m, "ds.classes")); !list.isEmpty()) {
        // A grid: one class for all its images, or several (offered as every class in turn).
        const auto parts = list.split(QLatin1Char(','));
        const bool one = std::all_of(parts.begin(), parts.end(), [&](const QString& p) { return p == parts.front(); });
        setSelectedClass(one ? parts.front().toInt() : -1);
    }
    const double w = QString::fromStdString(api::metadataValue(m, "ds.cond_scale")).toDouble(&ok);
    if (ok) condScale_->setValue(w);
    const double phi = QString::fromStdString(api::metadataValue(m, "ds.rescaled_phi")).toDouble(&ok);
    if (ok) rescaledPhi_->setValue(phi);
    if (!api::metadataValue(m, "ds.cond_scale").empty())
        cfgPlusPlus_->setChecked(api::metadataValue(m, "ds.cfg_plus_plus") == "1");
}

void ClassConditionFields::save(QSettings& s) const {
    s.setValue(QStringLiteral("class"), selectedClass());
    s.setValue(QStringLiteral("condScale"), condScale_->value());
    s.setValue(QStringLiteral("rescaledPhi"), rescaledPhi_->value());
    s.setValue(QStringLiteral("cfgPlusPlus"), cfgPlusPlus_->isChecked());
}

void ClassConditionFields::restore(QSettings& s) {
    setSelectedClass(s.value(QStringLiteral("class"), -1).toInt());
    condScale_->setValue(s.value(QStringLiteral("condScale"), 6.0).toDouble());
    rescaledPhi_->setValue(s.value(QStringLiteral("rescaledPhi"), 0.7).toDouble());
    cfgPlusPlus_->setChecked(s.value(QStringLiteral("cfgPlusPlus"), false).toBool());
}

}  // namespace ds::ui
