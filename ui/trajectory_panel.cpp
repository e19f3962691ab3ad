// Diffusion Studio - one configuration of the trajectory page: path x solver x steps, and its result.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/trajectory_panel.h"

#include "ui/point_cloud_view.h"
#include "ui/sampling_widgets.h"
#include "ui/trajectory_film_view.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace ds::ui {

TrajectoryPanel::TrajectoryPanel(int index, QWidget* parent) : QWidget(parent) {
    const QString suffix = QString::number(index);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* box = new QGroupBox(tr("Configuration %1").arg(index + 1), this);
    auto* form = new QFormLayout(box);
    path_ = makeFlowPathCombo(box);
    path_->setObjectName(QStringLiteral("trajectoryPath") + suffix);
    solver_ = new QComboBox(box);
    solver_->setObjectName(QStringLiteral("trajectorySolver") + suffix);
    solver_->addItem(tr("Euler"), QStringLiteral("euler"));
    solver_->addItem(tr("Midpoint"), QStringLiteral("midpoint"));
    solver_->addItem(tr("RK4 (classic)"), QStringLiteral("rk4"));
    solver_->addItem(tr("RK4 (3/8 rule)"), QStringLiteral("rk4-38"));
    solver_->addItem(tr("dopri5 (adaptive)"), QStringLiteral("dopri5"));
    steps_ = new QSpinBox(box);
    steps_->setObjectName(QStringLiteral("trajectorySteps") + suffix);
    steps_->setRange(1, 1000);
    steps_->setValue(20);
    tolerance_ = new QDoubleSpinBox(box);
    tolerance_->setObjectName(QStringLiteral("trajectoryTolerance") + suffix);
    tolerance_->setDecimals(8);
    tolerance_->setRange(1e-8, 1e-1);
    tolerance_->setValue(1e-5);
    tolerance_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    tolerance_->setToolTip(tr("dopri5's atol and rtol"));
    // Four panels side by side fit a 1366-pixel screen: the closed boxes show the start of the
    // names, the open lists every name in full.
    for (QComboBox* c : {path_, solver_}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(10);
    }
    form->addRow(tr("Path"), path_);
    form->addRow(tr("Solver"), solver_);
    form->addRow(tr("Steps"), steps_);
    form->addRow(tr("Tolerance"), tolerance_);
    layout->addWidget(box);

    views_ = new QStackedWidget(this);
    cloud_ = new PointCloudView(views_);
    cloud_->setObjectName(QStringLiteral("trajectoryCloud") + suffix);
    film_ = new TrajectoryFilmView(QStringLiteral("trajectoryFilm") + suffix, views_);
    views_->addWidget(cloud_);
    views_->addWidget(film_);
    layout->addWidget(views_, 1);
    stats_ = new QLabel(this);
    stats_->setObjectName(QStringLiteral("trajectoryStats") + suffix);
    stats_->setWordWrap(true);
    stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(stats_);

    connect(solver_, &QComboBox::currentIndexChanged, this, &TrajectoryPanel::updateSolverFields);
    updateSolverFields();
}

QString TrajectoryPanel::path() const { return path_->currentData().toString(); }
QString TrajectoryPanel::solver() const { return solver_->currentData().toString(); }
int TrajectoryPanel::steps() const { return steps_->value(); }
double TrajectoryPanel::tolerance() const { return tolerance_->value(); }

void TrajectoryPanel::setConfiguration(const QString& path, const QString& solver, int steps, double tolerance) {
    if (const int i = path_->findData(path); i >= 0) path_->setCurrentIndex(i);
    if (const int i = solver_->findData(solver); i >= 0) solver_->setCurrentIndex(i);
    steps_->setValue(steps);
    tolerance_->setValue(tolerance);
}

void TrajectoryPanel::setImageMode(bool images) {
    path_->setEnabled(!images);
    if (pathTip_.isEmpty()) pathTip_ = path_->toolTip();
    path_->setToolTip(images ? tr("A checkpoint's path is the one it was trained with") : pathTip_);
    views_->setCurrentWidget(images ? static_cast<QWidget*>(film_) : cloud_);
}

void TrajectoryPanel::updateSolverFields() {
    const bool adaptive = solver() == QLatin1String("dopri5");
    steps_->setEnabled(!adaptive);
    tolerance_->setEnabled(adaptive);
}

api::FlowToySolve TrajectoryPanel::solve() const {
    api::FlowToySolve s;
    s.solver = solver().toStdString();
    s.steps = steps();
    s.atol = s.rtol = tolerance();
    return s;
}

QString TrajectoryPanel::title() const {
    const QString how = solver() == QLatin1String("dopri5")
                            ? QStringLiteral("dopri5 %1").arg(tolerance(), 0, 'g', 2)
                            : QStringLiteral("%1 %2").arg(solver_->currentText()).arg(steps());
    return path_->isEnabled() ? QStringLiteral("%1 · %2").arg(path(), how) : how;
}

void TrajectoryPanel::clearResult() {
    hasResult_ = false;
    cloud_->clear();
    film_->clear();
    stats_->clear();
}

void TrajectoryPanel::setResult(const TrajectoryOutcome& o) {
    clearResult();
    if (!o.error.isEmpty()) {
        stats_->setText(tr("Failed: %1").arg(o.error));
        return;
    }
    hasResult_ = true;
    cloud_->setTarget(o.target);
    cloud_->setTrajectory(o.times, o.clouds);
    cloud_->setClasses(o.classes);
    film_->setFrames(o.times, o.frames);
    QString text =
        tr("straightness %1 · NFE %2 · %3 s").arg(o.straightness, 0, 'f', 3).arg(o.nfe).arg(o.seconds, 0, 'f', 3);
    if (o.energyDistance >= 0) text += tr(" · energy distance %1").arg(o.energyDistance, 0, 'f', 4);
    if (!o.condition.isEmpty()) text += QStringLiteral(" · ") + o.condition;
    stats_->setText(text);
}

void TrajectoryPanel::setTime(double t) {
    cloud_->setTime(t);
    film_->setTime(t);
}

void TrajectoryPanel::setCloudBounds(const QRectF& bounds) { cloud_->setBounds(bounds); }
QRectF TrajectoryPanel::cloudBounds() const { return cloud_->dataBounds(); }
QString TrajectoryPanel::statsText() const { return stats_->text(); }

}  // namespace ds::ui
