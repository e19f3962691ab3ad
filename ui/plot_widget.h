// Diffusion Studio - the reusable chart of the Train page (loss, learning rate, images/s, ...).
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

#include <map>
#include <memory>

class QCheckBox;
class QEvent;
class QLabel;
class QSlider;
class QTimer;
class QWidget;

QT_BEGIN_NAMESPACE
class QAbstractAxis;
class QAreaSeries;
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace ds::ui {

// A line chart of one or more metric series against the training step, made for long, noisy,
// live curves:
//  - each series is drawn as a debiased EMA (TensorBoard's smoothing, SeriesSmoothing) over a
//    faint raw curve and an optional min/max band of the raw values;
//  - appending only stores points; a single-shot ~200 ms timer redraws every changed series with
//    one QXYSeries::replace, so a training job can log every step without a signal per point;
//  - long series are decimated for display (SeriesDownsampler): at most ~2 points per pixel and
//    never more than kMaxDisplayPoints per curve, so a 700,000-step run still redraws quickly;
//  - the y axis is linear or logarithmic (non-positive values are skipped on a log axis), and
//    both axes follow the visible data with a little padding.
// Non-finite points (NaN or infinite x or y) are dropped when appended: they are not held.
//
// Object names for tests: "plotSmoothingSlider" (QSlider, 0..999 = beta*1000), "plotLogYCheck",
// "plotBandCheck", "plotRawCheck" (QCheckBox), "plotChartView" (QChartView).
class PlotWidget : public QWidget {
    Q_OBJECT

public:
    static constexpr int kRefreshIntervalMs = 200;
    static constexpr int kMaxDisplayPoints = 2000;
    static constexpr int kMinDisplayPoints = 200;
    static constexpr double kDefaultSmoothing = 0.6;

    explicit PlotWidget(const QString& title, const QString& yLabel, QWidget* parent = nullptr);
    ~PlotWidget() override;

    // Series. An id keeps its colour for its whole life; ids are not reused until clear(), which
    // starts again from the first id (and the first colour).
    int addSeries(const QString& name);
    void removeSeries(int id);
    void clear();
    QVector<int> seriesIds() const;
    QString seriesName(int id) const;
    QColor seriesColor(int id) const;

    // Data. Appends are buffered until the refresh timer fires (or flush()).
    void appendPoint(int id, double x, double y);
    void appendPoints(int id, const QVector<QPointF>& points);
    void setPoints(int id, const QVector<QPointF>& points);
    int pointCount(int id) const;
    QVector<QPointF> rawPoints(int id) const;
    QVector<QPointF> smoothedPoints(int id) const;

    // Display options.
    void setSmoothing(double beta);
    double smoothing() const;
    void setLogY(bool on);
    bool logY() const;
    void setBandVisible(bool on);
    bool bandVisible() const;
    void setRawVisible(bool on);
    bool rawVisible() const;
    void setControlsVisible(bool on);
    bool controlsVisible() const;
    void setXLabel(const QString& label);  // "step" by default

    // Applies pending points now (tests and benchmarks; normally the timer does it).
    void flush();
    bool hasPendingUpdate() const;
    // The most points a curve shows at the current plot width (between kMin and kMaxDisplayPoints).
    int displayPointLimit() const;

    QChart* chart() const;
    // The chart series behind one id (nullptr for an unknown id): the smoothed line, the faint raw
    // line, and the min/max band.
    QLineSeries* smoothedSeries(int id) const;
    QLineSeries* rawSeries(int id) const;
    QAreaSeries* bandSeries(int id) const;

    static QVector<double> debiasedEma(const QVector<double>& values, double beta);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void smoothingChanged(double beta);

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Series;

    void buildChart(const QString& title);
    QWidget* buildControls();
    void createYAxis();
    void attachAxis(Series& series, QAbstractAxis* axis);
    void styleSeries(Series& series);
    void applyPalette();
    void updateLegend();

    Series* find(int id);
    const Series* find(int id) const;
    void storePoints(Series& series, const QVector<QPointF>& points);
    void markAllForRebuild();
    void scheduleRefresh();
    void refreshSeries(Series& series, int displayLimit);
    void refreshAllSeries();
    void updateAxisRanges();
    void onPlotAreaChanged();
    int displayPointLimitForWidth() const;
    int updateDisplayLimit();
    void updateSmoothingLabel();

    QChart* chart_ = nullptr;
    QChartView* chartView_ = nullptr;
    QValueAxis* xAxis_ = nullptr;
    QAbstractAxis* yAxis_ = nullptr;
    QString yLabel_;
    QWidget* controls_ = nullptr;
    QSlider* smoothingSlider_ = nullptr;
    QLabel* smoothingValue_ = nullptr;
    QCheckBox* logYCheck_ = nullptr;
    QCheckBox* bandCheck_ = nullptr;
    QCheckBox* rawCheck_ = nullptr;
    QTimer* refreshTimer_ = nullptr;

    std::map<int, std::unique_ptr<Series>> series_;  // by id: legend order follows creation
    int nextId_ = 0;
    double smoothing_ = kDefaultSmoothing;
    bool logY_ = false;
    bool bandVisible_ = true;
    bool rawVisible_ = true;
    int lastDisplayLimit_ = 0;  // the limit in use; 0 until the first refresh
};

}  // namespace ds::ui
