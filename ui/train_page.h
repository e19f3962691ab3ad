// Diffusion Studio - the Train page: the training cockpit.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"
#include "core/api/train_form.h"

#include <QImage>
#include <QMap>
#include <QPair>
#include <QString>
#include <QVector>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QTabWidget;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSlider;
class QSpinBox;

namespace ds::ui {

class DiffusionSamplerFields;

class JobRunner;
class FidReferenceFields;
class PathField;
class PlotWidget;

// Pick data and a preset, adjust the main hyper-parameters, then Start / Pause / Stop; or open
// an earlier run directory and Continue it. Live charts (loss raw and smoothed, learning rate,
// images/s, loss by timestep bucket) update in batches; other runs can be overlaid; the EMA
// preview grids fill a strip with a step slider. With Processes > 1 the run is data-parallel:
// that many diffusion-studio-cli processes (beside this program) train it, and the page
// follows rank 0; the batch size is per process and images/s is the whole group's.
// Object names: trainData, trainDataPath, trainImportLmdb, trainPreset, trainImageSize, trainChannels, trainDim,
// trainDimMults, trainSteps, trainBatch, trainLr, trainLrSchedule, trainWarmup, trainEma,
// trainSampleEvery, trainSaveEvery, trainSeed, trainProcesses, trainRunDir, trainStart, trainPause, trainStop,
// trainOpenRun, trainContinue, trainOverlay, trainStatus, trainLog, trainPreview,
// trainPreviewSlider, trainLossPlot, trainLrPlot, trainSpeedPlot, trainBucketPlot, trainFidEvery,
// trainFidSamples, trainFidReference, trainFidReferencePath, trainFidFeatures, trainFidPlot,
// trainFidTimePlot (FID against step and training time, shown once the run has an FID).
class TrainPage : public QWidget {
    Q_OBJECT

public:
    explicit TrainPage(QWidget* parent = nullptr);
    ~TrainPage() override;

    // The run the form describes (its fields over the preset or run it started from), resolved
    // and validated by core. Throws ds::Error naming the bad field.
    api::TrainForm formConfig() const;
    void setFormConfig(const api::TrainForm& form);
    void setRunDirectory(const QString& path);
    // Trains on a folder of images or an LMDB directory.
    void setDataFolder(const QString& path);
    void selectPreset(const QString& name);

    // Loads a run into the form, charts and preview strip, ready to Continue. Returns an error or "".
    QString openRun(const QString& path);
    // Adds another run's curves to the charts. Returns an error or "".
    QString overlayRun(const QString& path);

    JobRunner* runner() const { return runner_; }
    // The program that runs the ranks of a multi-process run (default: diffusion-studio-cli in
    // this program's folder).
    void setWorkerProgram(const QString& path) { workerProgram_ = path; }
    void setProcesses(int count);
    PlotWidget* lossPlot() const { return lossPlot_; }
    PlotWidget* bucketPlot() const { return bucketPlot_; }
    PlotWidget* fidPlot() const { return fidPlot_; }
    PlotWidget* fidTimePlot() const { return fidTimePlot_; }
    int fidSeries() const { return fidId_; }
    PlotWidget* kidPlot() const { return kidPlot_; }
    PlotWidget* kidTimePlot() const { return kidTimePlot_; }
    int kidSeries() const { return kidId_; }
    // The lowest FID of the run shown (what best.pt holds), if it has one.
    std::optional<api::TrainFid> bestFid() const;
    // The series ids of the run being trained or opened: loss (in lossPlot) and bucket b.
    int currentSeries() const { return lossId_; }
    int bucketSeries(int b) const { return bucketIds_.value(b, -1); }
    int previewCount() const { return static_cast<int>(previews_.size()); }

Q_SIGNALS:
    void importLmdbRequested();

public Q_SLOTS:
    void start();
    void continueRun();
    void togglePause();
    void stop();

private:
    void buildUi();
    QWidget* buildForm();
    QWidget* buildCharts();
    QWidget* buildPreviews();
    void applyPreset(const QString& name);
    void resetCurrentSeries(const QString& label);
    void addFid(const api::TrainFid& fid);
    void showFidPlots(const QString& label);
    void showKidPlots();
    void addMetrics(const QVector<api::TrainMetrics>& batch);
    void addPreview(qint64 step, const QImage& grid, double seconds = -1);
    void showPreview(int index);
    void updateButtons();
    void appendLog(const QString& line);
    void saveSettings() const;
    void restoreSettings();
    static QString defaultRunDirectory();

    // Form.
    QComboBox* data_ = nullptr;
    PathField* dataPath_ = nullptr;
    QComboBox* preset_ = nullptr;
    QComboBox* flowPath_ = nullptr;  // flow-matching runs only
    QSpinBox* imageSize_ = nullptr;
    QComboBox* channels_ = nullptr;
    QSpinBox* dim_ = nullptr;
    QLineEdit* dimMults_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QSpinBox* batch_ = nullptr;
    QDoubleSpinBox* lr_ = nullptr;
    QComboBox* lrSchedule_ = nullptr;
    QSpinBox* warmup_ = nullptr;
    QDoubleSpinBox* ema_ = nullptr;
    QSpinBox* sampleEvery_ = nullptr;
    QSpinBox* sampleCount_ = nullptr;
    DiffusionSamplerFields* previewSampler_ = nullptr;
    QSpinBox* saveEvery_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QSpinBox* processes_ = nullptr;
    PathField* runDir_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* pause_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* openRun_ = nullptr;
    QPushButton* continue_ = nullptr;
    QPushButton* overlay_ = nullptr;
    QLabel* status_ = nullptr;
    QPlainTextEdit* log_ = nullptr;

    // Charts: the current run's series ids.
    PlotWidget* lossPlot_ = nullptr;
    PlotWidget* lrPlot_ = nullptr;
    PlotWidget* speedPlot_ = nullptr;
    PlotWidget* bucketPlot_ = nullptr;
    PlotWidget* fidPlot_ = nullptr;
    PlotWidget* fidTimePlot_ = nullptr;
    int fidId_ = -1;
    int fidTimeId_ = -1;
    QPair<int, int> fidBestIds_{-1, -1};
    // KID beside FID (a run with fid.kid): against step and against training time.
    QTabWidget* qualityTabs_ = nullptr;  // FID | KID
    QWidget* kidPage_ = nullptr;
    PlotWidget* kidPlot_ = nullptr;
    PlotWidget* kidTimePlot_ = nullptr;
    int kidId_ = -1;
    int kidTimeId_ = -1;
    std::optional<api::TrainFid> bestFid_;
    QSpinBox* fidEvery_ = nullptr;
    QSpinBox* fidSamples_ = nullptr;
    QCheckBox* fidKid_ = nullptr;
    QCheckBox* conditional_ = nullptr;
    QDoubleSpinBox* condDropProb_ = nullptr;
    FidReferenceFields* fid_ = nullptr;
    int lossId_ = -1, lrId_ = -1, speedId_ = -1;
    QVector<int> bucketIds_;

    // Previews.
    QLabel* preview_ = nullptr;
    QLabel* previewCaption_ = nullptr;
    QSlider* previewSlider_ = nullptr;
    struct Preview {
        qint64 step = 0;
        QImage grid;
        double seconds = -1;  // what sampling it took; -1 (or NaN): not known
    };
    QVector<Preview> previews_;

    JobRunner* runner_ = nullptr;
    api::TrainForm base_;  // the preset or opened run the form started from
    QString openedRun_;    // a run directory to continue
    QString workerProgram_;
    int runningProcesses_ = 1;  // of the run in progress (a multi-process run cannot pause)
};

}  // namespace ds::ui
