// Diffusion Studio - the choice of an FID's reference set and feature network.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/fid_reference_fields.h"

#include "core/api/fid.h"
#include "ui/path_field.h"

#include <QComboBox>

namespace ds::ui {

namespace {
const QString kPath = QStringLiteral("path");
}  // namespace

FidReferenceFields::FidReferenceFields(const QString& prefix, bool withNone, QWidget* parent) : QObject(parent) {
    reference_ = new QComboBox(parent);
    reference_->setObjectName(prefix + QStringLiteral("FidReference"));
    if (withNone) reference_->addItem(tr("no FID"), QString());
    for (const auto& b : api::builtinFidReferences()) {
        reference_->addItem(QString::fromStdString(b.name), QString::fromStdString(b.name));
        reference_->setItemData(reference_->count() - 1, QString::fromStdString(b.description), Qt::ToolTipRole);
    }
    reference_->addItem(tr("a folder or statistics file"), kPath);
    path_ = new PathField(PathField::Mode::FolderOrFile, QStringLiteral("fid"), tr("FID statistics (*.npz)"), parent);
    path_->setObjectName(prefix + QStringLiteral("FidReferencePath"));
    features_ = new QComboBox(parent);
    features_->setObjectName(prefix + QStringLiteral("FidFeatures"));
    features_->addItem(tr("Inception (pytorch-fid)"), QString());
    features_->addItem(tr("Fashion-MNIST classifier"), QStringLiteral("fashion-mnist"));
    connect(reference_, &QComboBox::currentIndexChanged, this, [this] {
        updatePath();
        Q_EMIT referenceKindChanged();
    });
    updatePath();
}

QString FidReferenceFields::reference() const {
    const QString kind = reference_->currentData().toString();
    return kind == kPath ? path_->path() : kind;
}

bool FidReferenceFields::hasReference() const { return !reference_->currentData().toString().isEmpty(); }

void FidReferenceFields::setReference(const QString& reference) {
    const int builtin = reference_->findData(reference);
    if (builtin >= 0) {
        reference_->setCurrentIndex(builtin);
    } else {
        reference_->setCurrentIndex(reference_->findData(kPath));
        path_->setPath(reference);
    }
}

QString FidReferenceFields::features() const { return features_->currentData().toString(); }

void FidReferenceFields::setFeatures(const QString& features) {
    features_->setCurrentIndex(
        std::max(0, features_->findData(features == QLatin1String("inception") ? QString() : features)));
}

void FidReferenceFields::setEnabled(bool on) {
    enabled_ = on;
    reference_->setEnabled(on);
    features_->setEnabled(on);
    updatePath();
}

void FidReferenceFields::updatePath() { path_->setEnabled(enabled_ && reference_->currentData().toString() == kPath); }

}  // namespace ds::ui
