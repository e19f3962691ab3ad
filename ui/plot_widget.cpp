// Diffusion Studio - the reusable chart of the Train page (loss, learning rate, images/s, ...).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/plot_widget.h"

#include "ui/nice_axis_range.h"
#include "ui/series_downsampler.h"
#include "ui/series_smoothing.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QPen>
#include <QSignalBlocker>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace ds::ui {
namespace {

// Distinct hues that read well on light and dark backgrounds (the Tableau 10 colours). Beyond
// them, hues step by the golden angle so that neighbouring ids stay far apart.
QColor colorForId(int id) {
    static const QRgb kColors[] = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                                   0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};
    constexpr int kCount = int(sizeof(kColors) / sizeof(kColors[0]));
    if (id >= 0 && id < kCount) return QColor(kColors[id]);
    const double hue = std::fmod(0.07 + 0.618033988749895 * id, 1.0);
    return QColor::fromHsvF(float(hue), 0.65f, 0.85f);
}

QColor withAlpha(QColor color, int alpha) {
    color.setAlpha(alpha);
    return color;
}

// The extent of some displayed points; empty until the first point.
struct Extent {
    double minX = std::numeric_limits<double>::infinity();
    double maxX = -std::numeric_limits<double>::infinity();
    double minY = std::numeric_limits<double>::infinity();
    double maxY = -std::numeric_limits<double>::infinity();

    bool isEmpty() const { return !(minX <= maxX); }
    void include(const QVector<QPointF>& points) {
        for (const QPointF& p : points) {
            minX = std::min(minX, p.x());
            maxX = std::max(maxX, p.x());
            minY = std::min(minY, p.y());
            maxY = std::max(maxY, p.y());
        }
    }
    void include(const Extent& other) {
        minX = std::min(minX, other.minX);
        maxX = std::max(maxX, other.maxX);
        minY = std::min(minY, other.minY);
        maxY = std::max(maxY, other.maxY);
    }
};

template <typename Axis>
void setRangeIfChanged(Axis* axis, double lo, double hi) {
    if (axis->min() != lo || axis->max() != hi) axis->setRange(lo, hi);
}

bool isFinitePoint(const QPointF& p) { return std::isfinite(p.x()) && std::isfinite(p.y()); }

// A linear range around [lo, hi] with 2% padding (NiceAxisRange rounds it outwards after); a
// flat or single-point range still gets height. Non-negative data (loss, learning rate,
// images/s) keeps zero as its floor: padding it to -0.5 would waste plot on impossible values.
std::pair<double, double> paddedLinearRange(double lo, double hi) {
    double pad = (hi - lo) * 0.02;
    if (pad <= 0.0) pad = std::abs(lo) > 0.0 ? std::abs(lo) * 0.1 : 0.5;
    const double paddedLo = (lo >= 0.0 && lo - pad < 0.0) ? 0.0 : lo - pad;
    return {paddedLo, hi + pad};
}

// A log range snapped outwards to powers of ten: QLogValueAxis labels only powers of the base,
// so a range inside one decade would show no labels at all.
std::pair<double, double> decadeRange(double lo, double hi) {
    const double margin = 0.02 * (std::log10(hi) - std::log10(lo));
    double lowDecade = std::floor(std::log10(lo) - margin);
    double highDecade = std::ceil(std::log10(hi) + margin);
    if (highDecade <= lowDecade) highDecade = lowDecade + 1.0;
    return {std::pow(10.0, lowDecade), std::pow(10.0, highDecade)};
}

}  // namespace

// One metric series: its raw points, the smoothing cache and the chart series that draw it.
struct PlotWidget::Series {
    QString name;
    QColor color;
    QVector<QPointF> raw;  // finite points only, in arrival order
    // Smoothed y of raw[0 .. smoothedY.size()); extended incrementally as points arrive, rebuilt
    // when beta changes or the points are replaced. Mutable: smoothedPoints() is const.
    mutable QVector<double> smoothedY;
    mutable SeriesSmoothing smoothing;
    bool dirty = false;   // raw changed since the chart series were last replaced
    bool rebuild = true;  // the downsampler must start over (new points, smoothing, ...)
    SeriesDownsampler downsampler;

    QLineSeries* line = nullptr;     // the smoothed curve, the one in the legend
    QLineSeries* rawLine = nullptr;  // the faint raw curve
    QAreaSeries* band = nullptr;     // min/max of the raw values; owns upper and lower
    QLineSeries* upper = nullptr;
    QLineSeries* lower = nullptr;

    Extent smoothedExtent, rawExtent, bandExtent;  // of what is displayed now

    void ensureSmoothed(double beta) const {
        if (smoothing.beta() != SeriesSmoothing::clampBeta(beta) || smoothedY.size() > raw.size()) {
            smoothing = SeriesSmoothing(beta);
            smoothedY.clear();
        }
        smoothedY.reserve(raw.size());
        for (int i = smoothedY.size(); i < raw.size(); ++i) smoothedY.append(smoothing.next(raw[i].y()));
    }
    void resetSmoothing() const {
        smoothing.reset();
        smoothedY.clear();
    }
};

PlotWidget::PlotWidget(const QString& title, const QString& yLabel, QWidget* parent)
    : QWidget(parent), yLabel_(yLabel) {
    refreshTimer_ = new QTimer(this);
    refreshTimer_->setSingleShot(true);
    refreshTimer_->setInterval(kRefreshIntervalMs);
    connect(refreshTimer_, &QTimer::timeout, this, &PlotWidget::flush);

    buildChart(title);
    controls_ = buildControls();

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(controls_);
    layout->addWidget(chartView_, 1);

    applyPalette();
    updateLegend();
    updateAxisRanges();
}

PlotWidget::~PlotWidget() = default;

// ---------------------------------------------------------------------------------------------
// Construction

void PlotWidget::buildChart(const QString& title) {
    chart_ = new QChart;
    chart_->setTitle(title);
    chart_->setAnimationOptions(QChart::NoAnimation);  // animations would replay on every refresh
    chart_->setMargins(QMargins(4, 4, 4, 4));
    chart_->setBackgroundRoundness(0);
    chart_->legend()->setAlignment(Qt::AlignBottom);
    QFont titleFont = chart_->titleFont();
    titleFont.setBold(true);
    chart_->setTitleFont(titleFont);

    xAxis_ = new QValueAxis;
    xAxis_->setTitleText(tr("step"));
    chart_->addAxis(xAxis_, Qt::AlignBottom);
    createYAxis();  // titled from yLabel_: the y axis is rebuilt whenever log-y toggles

    chartView_ = new QChartView(chart_, this);  // takes ownership of the chart
    chartView_->setObjectName(QStringLiteral("plotChartView"));
    chartView_->setRenderHint(QPainter::Antialiasing);
    chartView_->setFrameShape(QFrame::NoFrame);
    chartView_->setMinimumSize(240, 160);
    connect(chart_, &QChart::plotAreaChanged, this, &PlotWidget::onPlotAreaChanged);
}

QWidget* PlotWidget::buildControls() {
    auto* bar = new QWidget(this);
    bar->setObjectName(QStringLiteral("plotControls"));
    auto* layout = new QHBoxLayout(bar);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->setSpacing(6);

    auto* label = new QLabel(tr("Smoothing"), bar);
    smoothingSlider_ = new QSlider(Qt::Horizontal, bar);
    smoothingSlider_->setObjectName(QStringLiteral("plotSmoothingSlider"));
    // The slider counts thousandths of beta; 999 is the cap (beta = 1 would freeze the curve).
    smoothingSlider_->setRange(0, int(std::lround(SeriesSmoothing::kMaxBeta * 1000)));
    smoothingSlider_->setPageStep(50);
    smoothingSlider_->setMinimumWidth(50);  // two charts side by side fit a 1366-pixel screen
    smoothingSlider_->setMaximumWidth(160);
    smoothingSlider_->setToolTip(tr("Debiased exponential moving average of the raw values (as in TensorBoard)"));
    smoothingSlider_->setValue(int(std::lround(smoothing_ * 1000)));
    smoothingValue_ = new QLabel(bar);
    smoothingValue_->setMinimumWidth(smoothingValue_->fontMetrics().horizontalAdvance("0.000 "));
    updateSmoothingLabel();
    connect(smoothingSlider_, &QSlider::valueChanged, this, [this](int value) { setSmoothing(value / 1000.0); });

    logYCheck_ = new QCheckBox(tr("Log y"), bar);
    logYCheck_->setObjectName(QStringLiteral("plotLogYCheck"));
    logYCheck_->setToolTip(tr("Logarithmic y axis (values <= 0 are not drawn)"));
    connect(logYCheck_, &QCheckBox::toggled, this, &PlotWidget::setLogY);

    bandCheck_ = new QCheckBox(tr("Band"), bar);
    bandCheck_->setObjectName(QStringLiteral("plotBandCheck"));
    bandCheck_->setChecked(bandVisible_);
    bandCheck_->setToolTip(tr("Shade the min/max of the raw values behind each drawn point"));
    connect(bandCheck_, &QCheckBox::toggled, this, &PlotWidget::setBandVisible);

    rawCheck_ = new QCheckBox(tr("Raw"), bar);
    rawCheck_->setObjectName(QStringLiteral("plotRawCheck"));
    rawCheck_->setChecked(rawVisible_);
    rawCheck_->setToolTip(tr("Show the unsmoothed values as a faint curve"));
    connect(rawCheck_, &QCheckBox::toggled, this, &PlotWidget::setRawVisible);

    layout->addWidget(label);
    layout->addWidget(smoothingSlider_);
    layout->addWidget(smoothingValue_);
    layout->addSpacing(6);
    layout->addWidget(logYCheck_);
    layout->addWidget(bandCheck_);
    layout->addWidget(rawCheck_);
    layout->addStretch(1);
    return bar;
}

// (Re)creates the y axis for the current scale; series are re-attached to the new axis.
void PlotWidget::createYAxis() {
    if (yAxis_) {
        // The series' domains keep the old range while they change axis; a positive one spares the
        // log axis from converting zero or negative bounds.
        yAxis_->setRange(1.0, 10.0);
        chart_->removeAxis(yAxis_);  // detaches it from every series
        delete yAxis_;
    }
    if (logY_) {
        auto* axis = new QLogValueAxis;
        axis->setBase(10.0);
        axis->setLabelFormat(QStringLiteral("%g"));
        axis->setMinorTickCount(8);  // grid lines at 2..9 within each decade
        yAxis_ = axis;
    } else {
        auto* axis = new QValueAxis;
        axis->setLabelFormat(QStringLiteral("%.3g"));
        yAxis_ = axis;
    }
    yAxis_->setRange(1.0, 10.0);
    yAxis_->setTitleText(yLabel_);
    chart_->addAxis(yAxis_, Qt::AlignLeft);
    for (auto& entry : series_) attachAxis(*entry.second, yAxis_);
    applyPalette();
}

void PlotWidget::attachAxis(Series& series, QAbstractAxis* axis) {
    series.band->attachAxis(axis);
    series.rawLine->attachAxis(axis);
    series.line->attachAxis(axis);
}

void PlotWidget::styleSeries(Series& series) {
    QPen linePen(series.color, 2.0);
    linePen.setCapStyle(Qt::RoundCap);
    linePen.setJoinStyle(Qt::RoundJoin);
    series.line->setPen(linePen);

    QPen rawPen(withAlpha(series.color, 90), 1.0);
    series.rawLine->setPen(rawPen);

    series.band->setPen(Qt::NoPen);
    series.band->setBrush(withAlpha(series.color, 50));
}

// Follows the widget palette (light or dark): Qt Charts' own themes ignore it.
void PlotWidget::applyPalette() {
    if (!chart_) return;
    const QPalette pal = palette();
    const QColor background = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = withAlpha(text, 38);
    const QColor minorGrid = withAlpha(text, 10);

    chart_->setBackgroundBrush(background);
    chart_->setBackgroundPen(Qt::NoPen);
    chart_->setPlotAreaBackgroundVisible(false);
    chart_->setTitleBrush(pal.color(QPalette::WindowText));
    chart_->legend()->setLabelColor(text);
    if (chartView_) chartView_->setBackgroundBrush(background);

    for (QAbstractAxis* axis : {static_cast<QAbstractAxis*>(xAxis_), yAxis_}) {
        if (!axis) continue;
        axis->setLabelsBrush(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(withAlpha(text, 90));
        axis->setGridLineColor(grid);
        axis->setMinorGridLineColor(minorGrid);
    }
}

// A legend only when it tells series apart; the raw curve and band never get an entry.
void PlotWidget::updateLegend() {
    QLegend* legend = chart_->legend();
    legend->setVisible(series_.size() > 1);
    for (auto& entry : series_) {
        const Series& s = *entry.second;
        for (QLegendMarker* marker : legend->markers(s.rawLine)) marker->setVisible(false);
        for (QLegendMarker* marker : legend->markers(s.band)) marker->setVisible(false);
    }
}

// ---------------------------------------------------------------------------------------------
// Series

int PlotWidget::addSeries(const QString& name) {
    const int id = nextId_++;
    auto series = std::make_unique<Series>();
    series->name = name;
    series->color = colorForId(id);
    series->smoothing = SeriesSmoothing(smoothing_);

    series->upper = new QLineSeries;
    series->lower = new QLineSeries;
    series->band = new QAreaSeries(series->upper, series->lower);
    series->band->setName(name + tr(" (min/max)"));
    series->rawLine = new QLineSeries;
    series->rawLine->setName(name + tr(" (raw)"));
    series->line = new QLineSeries;
    series->line->setName(name);

    // Bottom to top: band, raw curve, smoothed curve.
    chart_->addSeries(series->band);
    chart_->addSeries(series->rawLine);
    chart_->addSeries(series->line);
    // The area series does not own its edges; parented to it, they die after it has let go.
    series->upper->setParent(series->band);
    series->lower->setParent(series->band);

    attachAxis(*series, xAxis_);
    attachAxis(*series, yAxis_);
    styleSeries(*series);
    series->band->setVisible(bandVisible_);
    series->rawLine->setVisible(rawVisible_);

    series_[id] = std::move(series);
    updateLegend();
    return id;
}

void PlotWidget::removeSeries(int id) {
    auto it = series_.find(id);
    if (it == series_.end()) return;
    Series& s = *it->second;
    for (QAbstractSeries* chartSeries :
         {static_cast<QAbstractSeries*>(s.line), static_cast<QAbstractSeries*>(s.rawLine),
          static_cast<QAbstractSeries*>(s.band)}) {
        chart_->removeSeries(chartSeries);  // hands ownership back
        delete chartSeries;
    }
    series_.erase(it);
    updateLegend();
    updateAxisRanges();
}

void PlotWidget::clear() {
    while (!series_.empty()) removeSeries(series_.begin()->first);
    nextId_ = 0;
    refreshTimer_->stop();
}

QVector<int> PlotWidget::seriesIds() const {
    QVector<int> ids;
    for (const auto& entry : series_) ids.append(entry.first);
    return ids;
}

QString PlotWidget::seriesName(int id) const {
    const Series* s = find(id);
    return s ? s->name : QString();
}

QColor PlotWidget::seriesColor(int id) const {
    const Series* s = find(id);
    return s ? s->color : QColor();
}

PlotWidget::Series* PlotWidget::find(int id) {
    auto it = series_.find(id);
    return it == series_.end() ? nullptr : it->second.get();
}

const PlotWidget::Series* PlotWidget::find(int id) const {
    auto it = series_.find(id);
    return it == series_.end() ? nullptr : it->second.get();
}

QLineSeries* PlotWidget::smoothedSeries(int id) const {
    const Series* s = find(id);
    return s ? s->line : nullptr;
}

QLineSeries* PlotWidget::rawSeries(int id) const {
    const Series* s = find(id);
    return s ? s->rawLine : nullptr;
}

QAreaSeries* PlotWidget::bandSeries(int id) const {
    const Series* s = find(id);
    return s ? s->band : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Data

void PlotWidget::appendPoint(int id, double x, double y) {
    Series* s = find(id);
    if (!s || !isFinitePoint(QPointF(x, y))) return;
    s->raw.append(QPointF(x, y));
    s->dirty = true;
    scheduleRefresh();
}

void PlotWidget::appendPoints(int id, const QVector<QPointF>& points) {
    Series* s = find(id);
    if (!s) return;
    storePoints(*s, points);
}

void PlotWidget::setPoints(int id, const QVector<QPointF>& points) {
    Series* s = find(id);
    if (!s) return;
    s->raw.clear();
    s->resetSmoothing();
    s->rebuild = true;
    storePoints(*s, points);
    s->dirty = true;  // even when empty: the old curve must go
    scheduleRefresh();
}

void PlotWidget::storePoints(Series& series, const QVector<QPointF>& points) {
    series.raw.reserve(series.raw.size() + points.size());
    bool added = false;
    for (const QPointF& p : points) {
        if (!isFinitePoint(p)) continue;
        series.raw.append(p);
        added = true;
    }
    if (!added) return;
    series.dirty = true;
    scheduleRefresh();
}

int PlotWidget::pointCount(int id) const {
    const Series* s = find(id);
    return s ? s->raw.size() : 0;
}

QVector<QPointF> PlotWidget::rawPoints(int id) const {
    const Series* s = find(id);
    return s ? s->raw : QVector<QPointF>();
}

QVector<QPointF> PlotWidget::smoothedPoints(int id) const {
    const Series* s = find(id);
    if (!s) return {};
    s->ensureSmoothed(smoothing_);
    QVector<QPointF> points;
    points.reserve(s->raw.size());
    for (int i = 0; i < s->raw.size(); ++i) points.append(QPointF(s->raw[i].x(), s->smoothedY[i]));
    return points;
}

QVector<double> PlotWidget::debiasedEma(const QVector<double>& values, double beta) {
    return SeriesSmoothing::debiasedEma(values, beta);
}

// ---------------------------------------------------------------------------------------------
// Refresh

void PlotWidget::scheduleRefresh() {
    if (!refreshTimer_->isActive()) refreshTimer_->start();
}

bool PlotWidget::hasPendingUpdate() const { return refreshTimer_->isActive(); }

// Every curve must be recomputed from all its points (an option changed, not just new points).
void PlotWidget::markAllForRebuild() {
    for (auto& entry : series_) {
        entry.second->dirty = true;
        entry.second->rebuild = true;
    }
}

void PlotWidget::flush() {
    refreshTimer_->stop();
    const int limit = updateDisplayLimit();
    bool changed = false;
    for (auto& entry : series_) {
        if (!entry.second->dirty) continue;
        refreshSeries(*entry.second, limit);
        changed = true;
    }
    if (changed) updateAxisRanges();
}

void PlotWidget::refreshAllSeries() {
    const int limit = updateDisplayLimit();
    for (auto& entry : series_) refreshSeries(*entry.second, limit);
}

// Smooths (incrementally), decimates and hands each curve to Qt Charts in one replace().
void PlotWidget::refreshSeries(Series& series, int displayLimit) {
    series.ensureSmoothed(smoothing_);
    SeriesDownsampler& downsampler = series.downsampler;
    if (series.rebuild || downsampler.needsRebuild() || downsampler.maxPoints() != displayLimit ||
        downsampler.positiveOnly() != logY_) {
        downsampler.reset(displayLimit, logY_);
        series.rebuild = false;
    }
    downsampler.append(series.raw, series.smoothedY);  // only the points it has not seen
    const DisplaySeries display = downsampler.display(series.raw, series.smoothedY);
    series.line->replace(display.smoothed);
    series.rawLine->replace(display.raw);
    series.lower->replace(display.lower);
    series.upper->replace(display.upper);

    series.smoothedExtent = Extent();
    series.smoothedExtent.include(display.smoothed);
    series.rawExtent = Extent();
    series.rawExtent.include(display.raw);
    series.bandExtent = Extent();
    series.bandExtent.include(display.lower);
    series.bandExtent.include(display.upper);
    series.dirty = false;
}

// Fits both axes to what is visible: smoothed curves always, raw curves and bands when shown.
// Ranges are rounded (NiceAxisRange, whole decades on a log axis) and only set when they change:
// each change makes Qt Charts rebuild every curve, so a live chart should rarely need one.
void PlotWidget::updateAxisRanges() {
    Extent visible;
    for (const auto& entry : series_) {
        const Series& s = *entry.second;
        visible.include(s.smoothedExtent);
        if (rawVisible_) visible.include(s.rawExtent);
        if (bandVisible_) visible.include(s.bandExtent);
    }
    if (visible.isEmpty()) {
        visible.include(QVector<QPointF>{{0.0, logY_ ? 0.1 : 0.0}, {1.0, 1.0}});
    }

    const NiceAxisRange x = NiceAxisRange::around(visible.minX, visible.maxX);
    setRangeIfChanged(xAxis_, x.min(), x.max());
    if (xAxis_->tickCount() != x.tickCount()) xAxis_->setTickCount(x.tickCount());
    // Steps are whole numbers: no "1e+06", no "2000.00".
    const QString xFormat = x.step() >= 1.0 ? QStringLiteral("%.0f") : QStringLiteral("%g");
    if (xAxis_->labelFormat() != xFormat) xAxis_->setLabelFormat(xFormat);

    if (auto* logAxis = qobject_cast<QLogValueAxis*>(yAxis_)) {
        const auto [lo, hi] = decadeRange(visible.minY, visible.maxY);
        setRangeIfChanged(logAxis, lo, hi);
    } else if (auto* linearAxis = qobject_cast<QValueAxis*>(yAxis_)) {
        const auto [lo, hi] = paddedLinearRange(visible.minY, visible.maxY);
        const NiceAxisRange y = NiceAxisRange::around(lo, hi);
        setRangeIfChanged(linearAxis, y.min(), y.max());
        if (linearAxis->tickCount() != y.tickCount()) linearAxis->setTickCount(y.tickCount());
    }
}

int PlotWidget::displayPointLimit() const {
    return lastDisplayLimit_ > 0 ? lastDisplayLimit_ : displayPointLimitForWidth();
}

// About 2 points per pixel of plot width, within [kMinDisplayPoints, kMaxDisplayPoints].
int PlotWidget::displayPointLimitForWidth() const {
    const double width = chart_->plotArea().width();
    if (width <= 1.0) return kMaxDisplayPoints;  // not laid out yet
    return std::clamp(int(2.0 * width), kMinDisplayPoints, kMaxDisplayPoints);
}

// Follows the plot width, ignoring small changes (axis labels growing by a digit): a new limit
// rebuilds every long curve, and that rebuild must not shift the labels into the next one.
int PlotWidget::updateDisplayLimit() {
    const int limit = displayPointLimitForWidth();
    if (lastDisplayLimit_ == 0 || std::abs(limit - lastDisplayLimit_) * 8 >= lastDisplayLimit_)
        lastDisplayLimit_ = limit;
    return lastDisplayLimit_;
}

// A wider or narrower plot changes how many points are worth drawing.
void PlotWidget::onPlotAreaChanged() {
    const int previous = lastDisplayLimit_;
    if (previous == 0 || updateDisplayLimit() == previous) return;
    const int affectedAbove = std::min(previous, lastDisplayLimit_);
    bool affected = false;
    for (auto& entry : series_) {
        if (entry.second->raw.size() > affectedAbove) {
            entry.second->dirty = true;
            affected = true;
        }
    }
    if (affected) scheduleRefresh();
}

// ---------------------------------------------------------------------------------------------
// Options

void PlotWidget::setSmoothing(double beta) {
    const double clamped = SeriesSmoothing::clampBeta(beta);
    if (clamped == smoothing_) return;
    smoothing_ = clamped;
    {
        const QSignalBlocker blocker(smoothingSlider_);
        smoothingSlider_->setValue(int(std::lround(smoothing_ * 1000)));
    }
    updateSmoothingLabel();
    markAllForRebuild();
    flush();  // an interactive change: redraw now, not after the timer
    Q_EMIT smoothingChanged(smoothing_);
}

double PlotWidget::smoothing() const { return smoothing_; }

void PlotWidget::updateSmoothingLabel() { smoothingValue_->setText(QString::number(smoothing_, 'f', 3)); }

void PlotWidget::setLogY(bool on) {
    if (on == logY_) return;
    logY_ = on;
    {
        const QSignalBlocker blocker(logYCheck_);
        logYCheck_->setChecked(on);
    }
    // A log axis must never see a non-positive value: going to log, drop them before the axis
    // changes; coming back, bring them back only after the axis is linear again.
    if (on) refreshAllSeries();
    createYAxis();
    if (!on) refreshAllSeries();
    updateAxisRanges();
}

bool PlotWidget::logY() const { return logY_; }

void PlotWidget::setBandVisible(bool on) {
    bandVisible_ = on;
    {
        const QSignalBlocker blocker(bandCheck_);
        bandCheck_->setChecked(on);
    }
    for (auto& entry : series_) entry.second->band->setVisible(on);
    updateLegend();  // Qt shows a series' legend marker again when the series is shown
    updateAxisRanges();
}

bool PlotWidget::bandVisible() const { return bandVisible_; }

void PlotWidget::setRawVisible(bool on) {
    rawVisible_ = on;
    {
        const QSignalBlocker blocker(rawCheck_);
        rawCheck_->setChecked(on);
    }
    for (auto& entry : series_) entry.second->rawLine->setVisible(on);
    updateLegend();
    updateAxisRanges();
}

bool PlotWidget::rawVisible() const { return rawVisible_; }

void PlotWidget::setControlsVisible(bool on) { controls_->setVisible(on); }

bool PlotWidget::controlsVisible() const { return !controls_->isHidden(); }

void PlotWidget::setXLabel(const QString& label) { xAxis_->setTitleText(label); }

QChart* PlotWidget::chart() const { return chart_; }

QSize PlotWidget::sizeHint() const { return QSize(520, 320); }

QSize PlotWidget::minimumSizeHint() const { return QSize(280, 200); }

void PlotWidget::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) applyPalette();
    QWidget::changeEvent(event);
}

}  // namespace ds::ui
