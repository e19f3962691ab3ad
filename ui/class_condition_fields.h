// Diffusion Studio - the class and classifier-free guidance of a class-conditional checkpoint,
// as every page that samples one offers them (the Generate page, the Sampler Explorer).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/checkpoint_info.h"
#include "core/api/image_file.h"

#include <QObject>
#include <QString>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QSettings;
class QSlider;
class QWidget;

namespace ds::api {
struct SampleRequest;
}

namespace ds::ui {

// A class (or every class in turn), the guidance scale W (1: the conditional model alone), the
// rescaling phi and CFG++, as rows of the page's own form (aligned with its other fields), shown
// only for class-conditional checkpoints: setClasses() with count 0 hides them.
// Object names: prefix + Class, CondScale (and its CondScaleSlider), RescaledPhi, CfgPlusPlus + suffix (e.g.
// "generateClass", "explorerCondScaleB").
class ClassConditionFields : public QObject {
    Q_OBJECT

public:
    // The fields are children of `parent`, the widget that holds the form.
    ClassConditionFields(const QString& namePrefix, const QString& nameSuffix, QWidget* parent);
    // Adds the rows (Class, Guidance scale, Rescaled phi, CFG++) to the form, hidden until a
    // class-conditional checkpoint is set.
    void addRowsTo(QFormLayout* form);

    // The checkpoint's classes (count 0: unconditional, the fields hide and apply nothing).
    void setClasses(const api::CheckpointClasses& classes);
    // Reads the classes of a checkpoint file; a file that cannot be read counts as unconditional
    // (sampling reports its error).
    void setCheckpoint(const QString& path);
    int classCount() const { return classes_.count; }
    // One row per class, the same seeds across: what selectedClass() returns for it.
    static constexpr int kRowPerClass = -2;
    int selectedClass() const;  // -1: every class in turn; kRowPerClass
    void setSelectedClass(int k);
    double condScale() const;
    void setCondScale(double w);

    void applyTo(api::SampleRequest& request) const;
    // From a sample PNG's metadata (ds.class, ds.cond_scale, ds.rescaled_phi, ds.cfg_plus_plus).
    void restoreFrom(const api::ImageMetadata& metadata);
    // QSettings keys below the current group: class, condScale, rescaledPhi, cfgPlusPlus.
    void save(QSettings& settings) const;
    void restore(QSettings& settings);

Q_SIGNALS:
    void changed();

private:
    void showRows(bool on);

    api::CheckpointClasses classes_;
    QString checkpoint_;
    QFormLayout* form_ = nullptr;
    int pendingClass_ = -1;  // restored before the checkpoint's classes are known
    QComboBox* class_ = nullptr;
    static constexpr double kSliderStep = 0.5;
    QDoubleSpinBox* condScale_ = nullptr;
    QSlider* condScaleSlider_ = nullptr;  // beside condScale_, in condScaleRow_
    QWidget* condScaleRow_ = nullptr;
    QDoubleSpinBox* rescaledPhi_ = nullptr;
    QCheckBox* cfgPlusPlus_ = nullptr;
};

}  // namespace ds::ui
