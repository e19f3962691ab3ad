// Diffusion Studio - the FID page's nearest neighbours: each generated image beside its closest
// training images, the most likely memorised first.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QWidget>

#include <functional>
#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QScrollArea;
class QSpinBox;

namespace ds::api {
struct FidRequest;
struct NeighboursResult;
struct NeighboursRequest;
}  // namespace ds::api

namespace ds::ui {

class JobRunner;
class PathField;

// The generated folder and the feature network are the FID page's (`fillSets` fills them into a
// request and returns an error text, "" when usable); this panel picks the training images (a
// folder or Fashion-MNIST's training or test set), k, the space (the network's features or
// pixels) and the rows shown, runs the search on the page's runner, shows the sheet and exports
// it as one PNG. Object names: neighboursTrainingKind, neighboursTraining, neighboursK,
// neighboursSpace, neighboursRows, neighboursFind, neighboursExport, neighboursSummary,
// neighboursSheet.
class NeighboursPanel : public QWidget {
    Q_OBJECT

public:
    using FillSets = std::function<QString(api::FidRequest& request)>;
    NeighboursPanel(JobRunner* runner, FillSets fillSets, QWidget* parent = nullptr);
    ~NeighboursPanel() override;

    // A folder, or a built-in set's name (fashion-mnist-train, fashion-mnist-test).
    void setTraining(const QString& training);
    QString training() const;
    void setK(int k);
    void setPixelSpace(bool pixels);
    QString summaryText() const;
    bool hasSheet() const;

public Q_SLOTS:
    void find();
    // Writes the sheet shown; returns an error text or "".
    QString exportSheet(const QString& path);

private:
    void updateTrainingField();
    void saveSettings() const;
    void restoreSettings();

    JobRunner* runner_;
    FillSets fillSets_;
    QComboBox* trainingKind_ = nullptr;
    PathField* training_ = nullptr;
    QSpinBox* k_ = nullptr;
    QComboBox* space_ = nullptr;
    QSpinBox* rows_ = nullptr;
    QPushButton* find_ = nullptr;
    QPushButton* export_ = nullptr;
    QLabel* summary_ = nullptr;
    QLabel* sheet_ = nullptr;
    QScrollArea* scroll_ = nullptr;
    std::shared_ptr<api::NeighboursResult> result_;
    std::shared_ptr<api::NeighboursRequest> request_;
};

}  // namespace ds::ui
