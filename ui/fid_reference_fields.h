// Diffusion Studio - the choice of an FID's reference set and feature network, where a page
// measures FID of what it generates (the Train page's FID during training, the Sampler
// Explorer's FID against NFE): the built-in Fashion-MNIST sets, or a folder or an .npz, and
// Inception's features or the offline Fashion-MNIST classifier's.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>

class QComboBox;
class QWidget;

namespace ds::ui {

class PathField;

// Three widgets the page lays out as it likes. Object names: <prefix>FidReference,
// <prefix>FidReferencePath, <prefix>FidFeatures.
class FidReferenceFields : public QObject {
    Q_OBJECT

public:
    // withNone: the first choice is "no FID" (reference() then returns "").
    FidReferenceFields(const QString& objectNamePrefix, bool withNone, QWidget* parent);

    QComboBox* referenceBox() const { return reference_; }
    PathField* pathField() const { return path_; }
    QComboBox* featuresBox() const { return features_; }

    // "" (no FID, or a folder not chosen yet), a built-in set's name, or the chosen path.
    QString reference() const;
    bool hasReference() const;  // a choice other than "no FID"
    void setReference(const QString& reference);
    // "" for Inception (pytorch-fid's), or "fashion-mnist".
    QString features() const;
    void setFeatures(const QString& features);
    // Enables the fields (the path only when "a folder or statistics file" is chosen).
    void setEnabled(bool on);

Q_SIGNALS:
    void referenceKindChanged();

private:
    void updatePath();

    QComboBox* reference_ = nullptr;
    PathField* path_ = nullptr;
    QComboBox* features_ = nullptr;
    bool enabled_ = true;
};

}  // namespace ds::ui
