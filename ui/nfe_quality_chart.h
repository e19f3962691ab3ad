// Diffusion Studio - "NFE vs quality": each ODE solver's error against its function evaluations.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/solver_sweep.h"

#include <QString>
#include <QWidget>

#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QLogValueAxis;
QT_END_NAMESPACE

namespace ds::ui {

// A log-log chart: one line per solver through its runs (x: NFE, y: RMS distance of the final
// state to the tight dopri5 reference, or the run's FID when the sweep measured one), points
// marked. Object names: "nfeQualityChartView".
class NfeQualityChart : public QWidget {
    Q_OBJECT

public:
    explicit NfeQualityChart(QWidget* parent = nullptr);

    enum class Metric { RmsError, Fid };
    void setResult(const api::SolverSweepResult& result, Metric metric = Metric::RmsError);
    // What the errors are measured against (default: the flows' tight dopri5).
    void setErrorAxisTitle(const QString& title);
    void clear();
    // The solvers drawn, in order, and their points (NFE, error); for tests.
    QStringList solverNames() const;
    QList<QPointF> pointsOf(const QString& solver) const;

private:
    QChart* chart_ = nullptr;
    QChartView* view_ = nullptr;
    QLogValueAxis* x_ = nullptr;
    QLogValueAxis* y_ = nullptr;
};

}  // namespace ds::ui
