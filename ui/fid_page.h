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
class QTabWidget;
class QTableWidget;

namespace ds::api {
struct FidRequest;
}

namespace ds::ui {

class JobProgressView;
class JobRunner;
class NeighboursPanel;
class PathField;

// Pick two image folders or statistics files (.npz), or a built-in reference (Fashion-MNIST's
// test or training images), Compute: a progress bar with ETA, Cancel; the result card shows FID,
// KID, precision/recall and density/coverage (the generated set against the reference; core/api/
// prdc.h), image counts, dims, resize mode and time; every result goes into a history table that
// persists. The feature network is pytorch-fid's Inception (its weights searched for as the CLI
// does, after the file chosen here) or, offline, a Fashion-MNIST classifier (the default one,
// trained here by "Train…", or a file): the result is then a Fréchet distance in that
// classifier's features ("FD (fashion-mnist classifier, 128-d)"), not an FID. Save statistics…
// writes the reference's .npz. Below the card, the history and the nearest neighbours (each
// generated image beside its closest training images: ui/neighbours_panel.h) are two tabs.
// Object names: fidReferenceKind, fidPath1, fidPath2, fidFeatures, fidClassifierFile,
// fidFeaturesStatus, fidTrainClassifier, fidDims, fidBatch, fidKid, fidPrdc, fidResize, fidWeights,
// fidCompute, fidCancel, fidSaveStats, fidProgress, fidEta, fidResult, fidTabs, fidHistory.
class FidPage : public QWidget {
    Q_OBJECT

public:
    explicit FidPage(QWidget* parent = nullptr);
    ~FidPage() override;

    // `first` may name a built-in reference (fashion-mnist-test, fashion-mnist-train).
    void setPaths(const QString& first, const QString& second);
    QString referencePath() const;
    // "inception", "fashion-mnist" or a classifier file.
    void setFeatures(const QString& features);
    QString features() const;
    void setDims(int dims);
    void setWeights(const QString& path);
    void setKid(bool on);
    void setPrdc(bool on);
    JobRunner* runner() const { return runner_; }
    NeighboursPanel* neighbours() const { return neighbours_; }
    QString resultText() const;
    int historyRows() const;
    double lastFid() const { return lastFid_; }

public Q_SLOTS:
    void compute();
    // Compute FID of `generated` against `reference` (e.g. from the Generate page).
    void computeFor(const QString& reference, const QString& generated);
    // Writes the statistics of the first folder to `output`; returns an error or "".
    void saveStatistics(const QString& output);
    // Trains the default Fashion-MNIST classifier (a few minutes) where --features fashion-mnist
    // finds it.
    void trainClassifier();

private:
    void buildUi();
    void addHistory(const QJsonObject& row);
    void showHistory();
    void showMessage(const QString& html);
    void saveSettings() const;
    void restoreSettings();
    void updateFeatureFields();
    void updateReferenceField();
    // The request's fields shared by Compute and Save statistics (not the second path, KID).
    void fillRequest(api::FidRequest& request) const;

    QComboBox* referenceKind_ = nullptr;
    PathField* path1_ = nullptr;
    PathField* path2_ = nullptr;
    QComboBox* features_ = nullptr;
    PathField* classifierFile_ = nullptr;
    QLabel* featuresStatus_ = nullptr;
    QPushButton* trainClassifier_ = nullptr;
    QComboBox* dims_ = nullptr;
    QSpinBox* batch_ = nullptr;
    QCheckBox* kid_ = nullptr;
    QCheckBox* prdc_ = nullptr;
    QSpinBox* resize_ = nullptr;
    PathField* weights_ = nullptr;
    QPushButton* compute_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* saveStats_ = nullptr;
    JobProgressView* progress_ = nullptr;
    QLabel* result_ = nullptr;
    QTableWidget* history_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    NeighboursPanel* neighbours_ = nullptr;
    JobRunner* runner_ = nullptr;
    QJsonArray historyRows_;
    double lastFid_ = -1.0;
};

}  // namespace ds::ui
