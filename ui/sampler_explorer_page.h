// Diffusion Studio - the Sampler Explorer: watch a sampler denoise, step by step.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTabWidget;
class QPushButton;
class QSlider;
class QComboBox;
class QSpinBox;
class QTimer;

namespace ds::ui {

class ExplorerRunPanel;
class JobRunner;
class NfeQualityChart;
class FidReferenceFields;
class PathField;

// Runs a sampler (DDIM, DDPM, DPM-Solver(++), UniPC) on a checkpoint and streams every step into
// a filmstrip (x_t over the predicted x0, what the original scripts' ddimsample.py saved as separate
// PNGs). One slider scrubs the frames (also arrow keys and the mouse wheel), Play animates them,
// and Compare adds a second run (another checkpoint, sampler or step count) under the same
// slider: with "match noise levels" the shorter run shows the frame whose noise level is nearest
// the longer run's, so a 10-step DPM-Solver++ run lines up with a 50-step DDIM run of the same
// x_T. Exports: the shown frame, the whole strip as one PNG, or every frame as numbered PNGs.
// The "NFE vs quality" tab sweeps run A's checkpoint: each sampler at several step counts against
// a converged solution, log-log, and, given an FID reference (a built-in set, a folder or an
// .npz) and a feature network, each run's FID against NFE on a second chart.
// Object names: explorerSeed, explorerCount, explorerRun, explorerStop, explorerCompare,
// explorerMatchNoise, explorerSlider, explorerPlay, explorerExportFrame, explorerExportStrip,
// explorerExportAll, explorerMessage, explorerTabs, explorerSweep, explorerSweepSteps,
// explorerSweepReferenceSteps, explorerSweepFidReference, explorerSweepFidReferencePath,
// explorerSweepFidFeatures, explorerSweepFidImages, explorerSweepSummary; panels "explorerPanelA" and "explorerPanelB".
class SamplerExplorerPage : public QWidget {
    Q_OBJECT

public:
    explicit SamplerExplorerPage(QWidget* parent = nullptr);

    ExplorerRunPanel* panelA() const { return a_; }
    ExplorerRunPanel* panelB() const { return b_; }
    void setCompare(bool on);
    void setMatchNoise(bool on);
    void openCheckpoint(const QString& path);

    int currentFrame() const;
    void setCurrentFrame(int index);
    int frameCount() const;  // the longest of the shown runs

    // Export to files (also behind the buttons, which ask for the paths). Return an error or "".
    QString exportFrame(const QString& path) const;
    QString exportStrip(const QString& path) const;
    QString exportAllFrames(const QString& folder) const;

    // Starts the NFE-vs-quality sweep on run A's settings; returns an error message instead.
    QString runSweep();
    NfeQualityChart* sweepChart() const { return chart_; }
    NfeQualityChart* sweepFidChart() const { return fidChart_; }
    JobRunner* sweepRunner() const { return sweepRunner_; }

public Q_SLOTS:
    void run();
    void stop();
    void togglePlay();

protected:
    void keyPressEvent(QKeyEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    void buildUi();
    void updateSliderRange();
    // Stop while a run samples; Play and the exports once there are frames.
    void updateButtons();
    void showMessage(const QString& text);
    // Runs an export to `target` ("": cancelled) and says how it went.
    void reportExport(const QString& target, QString (SamplerExplorerPage::*exporter)(const QString&) const);
    QList<ExplorerRunPanel*> activePanels() const;
    // Shows frame `index` of the longest run; the other, with matching noise levels, the frame
    // nearest in noise level, else the same index.
    void showFrames(int index);
    QWidget* buildSweepTab();

    ExplorerRunPanel* a_ = nullptr;
    ExplorerRunPanel* b_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QSpinBox* count_ = nullptr;
    QPushButton* run_ = nullptr;
    QPushButton* stop_ = nullptr;
    QCheckBox* compare_ = nullptr;
    QCheckBox* matchNoise_ = nullptr;
    QSlider* slider_ = nullptr;
    QPushButton* play_ = nullptr;
    QList<QPushButton*> exportButtons_;
    QLabel* message_ = nullptr;
    QTimer* playTimer_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    NfeQualityChart* chart_ = nullptr;
    QPushButton* sweep_ = nullptr;
    QLineEdit* sweepSteps_ = nullptr;
    QSpinBox* sweepReferenceSteps_ = nullptr;
    FidReferenceFields* sweepFid_ = nullptr;
    QSpinBox* sweepFidImages_ = nullptr;
    NfeQualityChart* fidChart_ = nullptr;
    QList<QCheckBox*> sweepSamplers_;
    QLabel* sweepSummary_ = nullptr;
    JobRunner* sweepRunner_ = nullptr;
};

}  // namespace ds::ui
