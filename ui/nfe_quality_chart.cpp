// Diffusion Studio - "NFE vs quality": each ODE solver's error against its function evaluations.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/nfe_quality_chart.h"

#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ds::ui {
namespace {

// A log axis spanning [lo, hi] out to whole decades.
void fitDecades(QLogValueAxis* axis, double lo, double hi) {
    axis->setRange(std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))));
}

}  // namespace

NfeQualityChart::NfeQualityChart(QWidget* parent) : QWidget(parent) {
    chart_ = new QChart;
    chart_->setTitle(tr("NFE vs quality"));
    chart_->legend()->setAlignment(Qt::AlignRight);
    x_ = new QLogValueAxis;
    x_->setTitleText(tr("function evaluations (NFE)"));
    x_->setLabelFormat(QStringLiteral("%g"));
    x_->setBase(10);
    y_ = new QLogValueAxis;
    y_->setTitleText(tr("RMS error vs tight dopri5"));
    y_->setLabelFormat(QStringLiteral("%.0e"));
    y_->setBase(10);
    chart_->addAxis(x_, Qt::AlignBottom);
    chart_->addAxis(y_, Qt::AlignLeft);
    view_ = new QChartView(chart_, this);
    view_->setObjectName(QStringLiteral("nfeQualityChartView"));
    view_->setRenderHint(QPainter::Antialiasing);
    view_->setMinimumHeight(220);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_);
    clear();
}

void NfeQualityChart::setErrorAxisTitle(const QString& title) { y_->setTitleText(title); }

void NfeQualityChart::clear() {
    chart_->removeAllSeries();
    x_->setRange(1, 100);
    y_->setRange(1e-6, 1);
}

void NfeQualityChart::setResult(const api::SolverSweepResult& result, Metric metric) {
    clear();
    if (metric == Metric::Fid) {
        y_->setTitleText(QString::fromStdString(result.fidLabel));
        y_->setLabelFormat(QStringLiteral("%g"));
    }
    double xLo = 1e300, xHi = 0, yLo = 1e300, yHi = 0;
    QLineSeries* series = nullptr;
    for (const auto& p : result.points) {
        if (metric == Metric::Fid && !p.fid) continue;
        const QString name = QString::fromStdString(p.solver);
        if (!series || series->name() != name) {
            series = new QLineSeries;
            series->setName(name);
            series->setPointsVisible(true);
            chart_->addSeries(series);
            series->attachAxis(x_);
            series->attachAxis(y_);
        }
        // A log axis cannot show 0: a run that matches the reference exactly sits at the floor.
        const double error = std::max(metric == Metric::Fid ? *p.fid : p.error, 1e-12);
        series->append(static_cast<double>(p.nfe), error);
        xLo = std::min(xLo, double(p.nfe));
        xHi = std::max(xHi, double(p.nfe));
        yLo = std::min(yLo, error);
        yHi = std::max(yHi, error);
    }
    if (xHi > 0) {
        fitDecades(x_, std::max(1.0, xLo), xHi);
        fitDecades(y_, yLo, yHi);
    }
}

QStringList NfeQualityChart::solverNames() const {
    QStringList names;
    for (auto* s : chart_->series()) names << s->name();
    return names;
}

QList<QPointF> NfeQualityChart::pointsOf(const QString& solver) const {
    for (auto* s : chart_->series()) {
        if (s->name() == solver) return static_cast<QLineSeries*>(s)->points();
    }
    return {};
}

}  // namespace ds::ui
