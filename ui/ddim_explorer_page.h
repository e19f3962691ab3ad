// Diffusion Studio - the DDIM explorer: watch a sampler denoise, step by step.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace ds::ui {

class ExplorerRunPanel;

// Runs a sampler on a checkpoint and streams every step into a filmstrip (x_t over the predicted
// x0, what the seed project's ddimsample.py saved as separate PNGs). One slider scrubs the
// frames (also arrow keys and the mouse wheel), Play animates them, and Compare adds a second run
// (another checkpoint, eta or sampler) under the same slider. Exports: the shown frame, the whole
// strip as one PNG, or every frame as numbered PNGs.
// Object names: explorerSeed, explorerCount, explorerRun, explorerStop, explorerCompare,
// explorerSlider, explorerPlay, explorerExportFrame, explorerExportStrip, explorerExportAll,
// explorerMessage; panels "explorerPanelA" and "explorerPanelB".
class DdimExplorerPage : public QWidget {
  Q_OBJECT

 public:
  explicit DdimExplorerPage(QWidget* parent = nullptr);

  ExplorerRunPanel* panelA() const { return a_; }
  ExplorerRunPanel* panelB() const { return b_; }
  void setCompare(bool on);
  void openCheckpoint(const QString& path);

  int currentFrame() const;
  void setCurrentFrame(int index);
  int frameCount() const;  // the longest of the shown runs

  // Export to files (also behind the buttons, which ask for the paths). Return an error or "".
  QString exportFrame(const QString& path) const;
  QString exportStrip(const QString& path) const;
  QString exportAllFrames(const QString& folder) const;

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
  void reportExport(const QString& target, QString (DdimExplorerPage::*exporter)(const QString&) const);
  QList<ExplorerRunPanel*> activePanels() const;

  ExplorerRunPanel* a_ = nullptr;
  ExplorerRunPanel* b_ = nullptr;
  QSpinBox* seed_ = nullptr;
  QSpinBox* count_ = nullptr;
  QPushButton* run_ = nullptr;
  QPushButton* stop_ = nullptr;
  QCheckBox* compare_ = nullptr;
  QSlider* slider_ = nullptr;
  QPushButton* play_ = nullptr;
  QList<QPushButton*> exportButtons_;
  QLabel* message_ = nullptr;
  QTimer* playTimer_ = nullptr;
};

}  // namespace ds::ui
