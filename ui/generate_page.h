// Diffusion Studio - the Generate page: a grid of samples, or N images into a folder.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/image_file.h"

#include <QImage>
#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace ds::ui {

class DiffusionSamplerFields;

class ClassConditionFields;
class JobRunner;
class PathField;

// Preview an R×C grid (seed, sampler, steps, eta, weights), then Save it as a PNG that carries
// the settings that made it; or write N numbered PNGs into a folder (e.g. as many as a test
// set), with progress and cancel: every file in the folder is complete.
// Object names: generateCheckpoint, generateRows, generateColumns, generateSeed, generateSampler,
// generateSteps, generateEta, generateClass, generateCondScale, generateRescaledPhi,
// generateCfgPlusPlus (class-conditional checkpoints only), generateWeights, generateImageSize, generatePreview,
// generateSave, generateGrid, generateCount, generateFolder, generateToFolder, generateStop, generateFidReference,
// generateFid, generateMessage.
class GeneratePage : public QWidget {
    Q_OBJECT

public:
    explicit GeneratePage(QWidget* parent = nullptr);
    ~GeneratePage() override;

    void setCheckpoint(const QString& path);
    void setGridSize(int rows, int columns);
    void setSeed(quint64 seed);
    void setImageSize(int size);  // 0: the checkpoint's
    // Settings from a PNG the app wrote (seed, sampler, steps, eta, weights, grid size, checkpoint).
    void restoreFrom(const api::ImageMetadata& metadata);

    JobRunner* runner() const { return runner_; }
    QImage previewImage() const { return grid_; }
    api::ImageMetadata previewMetadata() const { return metadata_; }

    // Saves the previewed grid with its metadata; returns an error or "".
    QString saveGrid(const QString& path);

Q_SIGNALS:
    // "Compute FID" after generating into a folder: the test set and the generated folder.
    void fidRequested(const QString& reference, const QString& generated);

public Q_SLOTS:
    void preview();
    void generateToFolder();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void buildUi();
    void showMessage(const QString& text);
    void showGrid();
    void saveSettings() const;
    void restoreSettings();

    PathField* checkpoint_ = nullptr;
    QSpinBox* rows_ = nullptr;
    QSpinBox* columns_ = nullptr;
    QSpinBox* seed_ = nullptr;
    DiffusionSamplerFields* sampler_ = nullptr;
    ClassConditionFields* classFields_ = nullptr;
    QComboBox* weights_ = nullptr;
    QSpinBox* imageSize_ = nullptr;
    QPushButton* previewButton_ = nullptr;
    QPushButton* saveButton_ = nullptr;
    QLabel* gridView_ = nullptr;
    QSpinBox* count_ = nullptr;
    PathField* folder_ = nullptr;
    PathField* fidReference_ = nullptr;
    QPushButton* toFolderButton_ = nullptr;
    QPushButton* stopButton_ = nullptr;
    bool writingFolder_ = false;  // the running (or last) job writes images into a folder
    QLabel* message_ = nullptr;
    JobRunner* runner_ = nullptr;
    QImage grid_;
    api::ImageMetadata metadata_;
};

}  // namespace ds::ui
