// Diffusion Studio - one sampler run of the Sampler Explorer: its settings, filmstrip and large view.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/diffusion_solver.h"
#include "core/api/sampling.h"
#include "ui/trajectory_frame_set.h"

#include <QImage>
#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QListWidget;
class QSpinBox;

namespace ds::ui {

class ClassConditionFields;
class DiffusionSamplerFields;
class JobRunner;
class PathField;

// Settings of a run (checkpoint, sampler and its options, weights, optional x_T file), the filmstrip
// that fills as the job streams its frames (x_t over the predicted x0, one column per step) and
// a large view of the shown frame. The explorer page drives one or two of these under one slider.
// Object names (suffixed by the panel's id, e.g. "explorerCheckpointA"): explorerCheckpoint,
// explorerSampler, explorerSteps, explorerEta (and the solver options of DiffusionSamplerFields),
// explorerClass, explorerCondScale, explorerRescaledPhi, explorerCfgPlusPlus (class-conditional
// checkpoints), explorerWeights, explorerImageSize, explorerInitNoise, explorerFilmstrip,
// explorerLargeXt, explorerLargeX0, explorerCaption.
class ExplorerRunPanel : public QWidget {
    Q_OBJECT

public:
    ExplorerRunPanel(const QString& id, const QString& title, QWidget* parent = nullptr);
    ~ExplorerRunPanel() override;

    PathField* checkpointField() const { return checkpoint_; }
    void setCheckpoint(const QString& path);
    void setSampler(api::DiffusionSampler sampler);
    void setSteps(int steps);
    void setEta(double eta);
    void setSolverOptions(const api::SolverOptions& options);
    void setWeights(const QString& weights);  // "ema" | "online"
    void setInitialNoise(const QString& path);
    void setImageSize(int size);  // 0: the checkpoint's

    // Starts sampling with these settings; returns an error message instead when it cannot.
    QString run(quint64 seed, int count);
    // The settings as a request (checkpoint, sampler, weights, size, x_T): what run() samples.
    api::SampleRequest request(quint64 seed, int count) const;
    JobRunner* runner() const { return runner_; }

    const TrajectoryFrameSet& frames() const { return frames_; }
    void showFrame(int index);  // clamped to the frames there are
    int shownFrame() const { return shown_; }
    QImage shownXt() const;
    QImage shownX0() const;
    QString caption() const;

Q_SIGNALS:
    void framesAdded(int count);
    void frameClicked(int index);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void buildUi(const QString& title);
    void addFrames(const QVector<api::TrajectoryFrame>& batch);
    void updateLargeView();
    void saveSettings() const;
    void restoreSettings();

    QString id_;
    PathField* checkpoint_ = nullptr;
    DiffusionSamplerFields* sampler_ = nullptr;
    ClassConditionFields* classFields_ = nullptr;
    QComboBox* weights_ = nullptr;
    QSpinBox* imageSize_ = nullptr;
    PathField* initNoise_ = nullptr;
    QListWidget* filmstrip_ = nullptr;
    QLabel* largeXt_ = nullptr;
    QLabel* largeX0_ = nullptr;
    QLabel* caption_ = nullptr;
    JobRunner* runner_ = nullptr;
    TrajectoryFrameSet frames_;
    int shown_ = -1;
};

}  // namespace ds::ui
