// Diffusion Studio - one configuration of the trajectory page: path x solver x steps, and its result.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/flow_toy.h"

#include <QImage>
#include <QString>
#include <QVector>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QStackedWidget;

namespace ds::ui {

class PointCloudView;
class TrajectoryFilmView;

// What one configuration produced: a 2-D trajectory, or the image frames of a checkpoint run.
struct TrajectoryOutcome {
    QVector<double> times;
    QVector<QVector<QPointF>> clouds;  // 2-D: particles at each time
    QVector<QPointF> target;           // 2-D: a fresh target sample
    QVector<QImage> frames;            // images: the batch grid at each time
    qint64 nfe = 0;
    double seconds = 0.0;
    double straightness = 0.0;
    double energyDistance = -1.0;  // 2-D only (-1: not measured)
    QVector<int> classes;          // 2-D, class-conditional: particle i's class (8: none); empty otherwise
    QString condition;             // the class and guidance it was sampled with ("" when unconditional)
    QString error;                 // why it failed ("" when it ran)
};

// Settings (the path is the toy's only: a checkpoint was trained on one), the result view
// (point clouds or a filmstrip) and a line of figures: straightness, NFE, wall time and, in 2-D,
// the energy distance to the target (and the class and guidance of a conditional toy).
// Object names, suffixed by the panel's index (e.g. "trajectoryPath0"): trajectoryPath,
// trajectorySolver, trajectorySteps, trajectoryTolerance, trajectoryCloud, trajectoryFilm(Strip|Large),
// trajectoryStats.
class TrajectoryPanel : public QWidget {
    Q_OBJECT

public:
    TrajectoryPanel(int index, QWidget* parent = nullptr);

    QString path() const;    // torchcfm's names: ot, icfm, otcfm, sbcfm, vp, target
    QString solver() const;  // euler, midpoint, rk4, rk4-38, dopri5
    int steps() const;
    double tolerance() const;  // dopri5's atol = rtol
    void setConfiguration(const QString& path, const QString& solver, int steps, double tolerance = 1e-5);
    void setImageMode(bool images);  // images: no path choice, a filmstrip instead of point clouds

    api::FlowToySolve solve() const;
    // "OT-CFM · Euler 20" or "dopri5 1e-05"
    QString title() const;

    void clearResult();
    void setResult(const TrajectoryOutcome& outcome);
    bool hasResult() const { return hasResult_; }
    void setTime(double t);
    void setCloudBounds(const QRectF& bounds);
    QRectF cloudBounds() const;  // of this panel's data

    PointCloudView* cloudView() const { return cloud_; }
    TrajectoryFilmView* filmView() const { return film_; }
    QString statsText() const;

private:
    void updateSolverFields();

    QComboBox* path_ = nullptr;
    QComboBox* solver_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QDoubleSpinBox* tolerance_ = nullptr;
    QStackedWidget* views_ = nullptr;
    PointCloudView* cloud_ = nullptr;
    TrajectoryFilmView* film_ = nullptr;
    QLabel* stats_ = nullptr;
    QString pathTip_;  // the path list's own tooltip, shown again when the toy is back
    bool hasResult_ = false;
};

}  // namespace ds::ui
