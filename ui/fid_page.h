// Diffusion Studio - the FID page: Fréchet Inception Distance (and KID) between two image sets.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonArray>
#include <QString>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace ds::ui {

class JobProgressView;
class JobRunner;
class PathField;

// Pick two image folders or statistics files (.npz), Compute: a progress bar with ETA, Cancel;
// the result card shows FID, KID, image counts, dims, resize mode and time; every result goes
// into a history table that persists. The weights (pytorch-fid's Inception file) are searched
// for as the CLI does, after the file chosen here. Save statistics… writes a folder's .npz.
// Object names: fidPath1, fidPath2, fidDims, fidBatch, fidKid, fidResize, fidWeights,
// fidCompute, fidCancel, fidSaveStats, fidProgress, fidEta, fidResult, fidHistory.
class FidPage : public QWidget {
  Q_OBJECT

 public:
  explicit FidPage(QWidget* parent = nullptr);
  ~FidPage() override;

  void setPaths(const QString& first, const QString& second);
  void setDims(int dims);
  void setWeights(const QString& path);
  void setKid(bool on);
  JobRunner* runner() const { return runner_; }
  QString resultText() const;
  int historyRows() const;
  double lastFid() const { return lastFid_; }

 public Q_SLOTS:
  void compute();
  // Compute FID of `generated` against `reference` (e.g. from the Generate page).
  void computeFor(const QString& reference, const QString& generated);
  // Writes the statistics of the first folder to `output`; returns an error or "".
  void saveStatistics(const QString& output);

 private:
  void buildUi();
  void addHistory(const QJsonObject& row);
  void showHistory();
  void showMessage(const QString& html);
  void saveSettings() const;
  void restoreSettings();

  PathField* path1_ = nullptr;
  PathField* path2_ = nullptr;
  QComboBox* dims_ = nullptr;
  QSpinBox* batch_ = nullptr;
  QCheckBox* kid_ = nullptr;
  QSpinBox* resize_ = nullptr;
  PathField* weights_ = nullptr;
  QPushButton* compute_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* saveStats_ = nullptr;
  JobProgressView* progress_ = nullptr;
  QLabel* result_ = nullptr;
  QTableWidget* history_ = nullptr;
  JobRunner* runner_ = nullptr;
  QJsonArray historyRows_;
  double lastFid_ = -1.0;
};

}  // namespace ds::ui
