// Diffusion Studio - 2-D particles carried along a flow, drawn up to a chosen time.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointF>
#include <QRectF>
#include <QVector>
#include <QWidget>

class QPainter;

namespace ds::ui {

// The target sample as faint dots, each particle's path from t = 0 to the shown time as a thin
// line, its start as a small grey dot and its position at the shown time as a coloured dot.
// Between recorded times a particle moves on the straight segment the solver took (what the
// drawn lines show). Particles of a class-conditional toy may carry classes: each class's dots and
// paths then take its own colour. Several views share one coordinate box (setBounds) so that they compare.
// Object name set by the owner.
class PointCloudView : public QWidget {
    Q_OBJECT

public:
    explicit PointCloudView(QWidget* parent = nullptr);

    // states[k] holds every particle at times[k] (increasing from 0 to 1); all of equal size.
    void setTrajectory(const QVector<double>& times, const QVector<QVector<QPointF>>& states);
    void setTarget(const QVector<QPointF>& target);
    // classes[i]: particle i's class (0 .. 7 coloured; others, such as 8 for "no class", in the
    // plain particle colour). Empty: every particle in the plain colour. Cleared by clear().
    void setClasses(const QVector<int>& classes);
    QColor particleColor(int i) const;
    void clear();
    bool isEmpty() const { return states_.isEmpty(); }

    void setBounds(const QRectF& bounds);
    // The smallest box holding the trajectory and the target.
    QRectF dataBounds() const;

    void setTime(double t);  // clamped to the recorded span
    double time() const { return time_; }
    // Every particle at time t (interpolated between the recorded times).
    QVector<QPointF> positionsAt(double t) const;

    QSize sizeHint() const override { return {320, 320}; }
    QSize minimumSizeHint() const override { return {160, 160}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    // The data box shown (the bounds, or the data's, with a margin) and the widget area it maps
    // onto with equal scales on both axes.
    struct Mapping {
        QRectF data;
        QRectF view;
        QPointF operator()(const QPointF& p) const;
    };
    Mapping mapping() const;
    void drawLegend(QPainter& painter) const;

    QVector<double> times_;
    QVector<QVector<QPointF>> states_;
    QVector<QPointF> target_;
    QVector<int> classes_;
    QRectF bounds_;
    double time_ = 1.0;
};

}  // namespace ds::ui
