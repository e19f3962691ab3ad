// Diffusion Studio - flow matching's trajectory page: configurations side by side along t.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QVector>
#include <QWidget>

#include <memory>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTimer;

namespace ds::api {
struct FlowToyConfig;
struct SampleRequest;
}  // namespace ds::api

namespace ds::ui {

class JobProgressView;
class JobRunner;
class NfeQualityChart;
class PathField;
class TrajectoryPanel;

// Up to four configurations (path x solver x steps) run from the same start under one time
// slider:
//  - 2-D toy: a small MLP learns each path (8 Gaussians or a Gaussian -> moons, seconds on a
//    CPU; trained models are kept for the next run), then every particle's path is drawn with
//    straightness, NFE, wall time and the energy distance to the target;
//  - images: a flow-matching checkpoint samples the same noise with each solver; a filmstrip of
//    x_t along t per configuration.
// "NFE vs quality" runs every solver at several step counts (dopri5 at several tolerances) and
// plots the distance to a tight dopri5 reference against NFE.
// The target "8 Gaussians, labelled by mode" trains class-conditional toys (a point's class is
// the Gaussian it came from); a class picker and a classifier-free guidance scale then choose
// which class the particles are steered to and how hard, and the trained toys redraw at once
// when either changes (sampling takes milliseconds; nothing is trained again).
// Object names: trajectoryMode, trajectorySource, trajectoryTarget, trajectoryTrainSteps,
// trajectoryPoints, trajectoryClass, trajectoryGuidance (shown for the labelled target), trajectoryCheckpoint,
// trajectoryImages, trajectoryImageSize, trajectoryGroups, trajectorySeed, trajectoryCount, trajectoryRun,
// trajectoryStop, trajectorySweep, trajectoryTime, trajectoryPlay, trajectoryTimeLabel, trajectoryMessage,
// trajectoryTabs; the panels' (see TrajectoryPanel).
class TrajectoryPage : public QWidget {
    Q_OBJECT

public:
    explicit TrajectoryPage(QWidget* parent = nullptr);
    ~TrajectoryPage() override;

    JobRunner* runner() const { return runner_; }
    TrajectoryPanel* panel(int i) const { return panels_.at(i); }
    NfeQualityChart* sweepChart() const { return chart_; }

    void setImageMode(bool images);
    bool imageMode() const;
    void setConfigurationCount(int count);  // 1..4
    int configurationCount() const;
    void openCheckpoint(const QString& path);  // image mode on this flow-matching checkpoint

    // The labelled target is chosen: class-conditional toys, the class and guidance fields shown.
    bool conditionalTarget() const;

    void setTime(double t);  // 0..1, the shared slider
    double time() const;
    QString message() const;

public Q_SLOTS:
    // Start the job (return an error instead when the form is incomplete or a job runs).
    QString run();
    QString runSweep();
    void stop();
    void togglePlay();

private:
    struct Shared;  // what the worker thread fills in (results, the trained toys)

    void buildUi();
    api::SampleRequest imageRequest() const;        // checkpoint, seed, images, size, groups
    api::FlowToyConfig toyConfig(int panel) const;  // the toy that panel's path needs
    QString conditionText() const;                  // "class 3 · guidance 4.0"; "" for unlabelled targets
    void updatePlayButton();                        // Play once some configuration has a result
    void setRunning(bool running);
    QString whyNotStartable() const;  // "" when Run / NFE vs quality may start
    QWidget* buildSourceBox();
    void collectResults();
    void finishJob(bool ok, bool cancelled, const QString& error);
    void shareCloudBounds();
    void updateConditionFields();  // the class and guidance fields for the labelled target only; W needs a class
    void redrawForCondition();     // the class or scale changed: sample the trained toys again
    void showMessage(const QString& text);
    void saveSettings() const;
    void restoreSettings();

    std::shared_ptr<Shared> shared_;
    JobRunner* runner_ = nullptr;
    QComboBox* mode_ = nullptr;
    QStackedWidget* sourceStack_ = nullptr;
    QComboBox* source_ = nullptr;
    QComboBox* target_ = nullptr;
    QSpinBox* trainSteps_ = nullptr;
    QSpinBox* points_ = nullptr;
    QWidget* condition_ = nullptr;  // the class and guidance fields
    QComboBox* class_ = nullptr;
    QDoubleSpinBox* guidance_ = nullptr;
    bool redrawPending_ = false;  // the class or scale changed while a job ran
    PathField* checkpoint_ = nullptr;
    QSpinBox* images_ = nullptr;
    QSpinBox* imageSize_ = nullptr;
    QSpinBox* groups_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QSpinBox* count_ = nullptr;
    QPushButton* run_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* sweep_ = nullptr;
    JobProgressView* progress_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QVector<TrajectoryPanel*> panels_;
    QSlider* time_ = nullptr;
    QPushButton* play_ = nullptr;
    QLabel* timeLabel_ = nullptr;
    QTimer* playTimer_ = nullptr;
    NfeQualityChart* chart_ = nullptr;
    QLabel* sweepSummary_ = nullptr;
    QLabel* message_ = nullptr;
};

}  // namespace ds::ui
