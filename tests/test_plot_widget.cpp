// Tests of the reusable plot widget and its maths (QtTest, offscreen).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/hang_limits.h"
#include "ui/nice_axis_range.h"
#include "ui/plot_widget.h"
#include "ui/series_downsampler.h"
#include "ui/series_smoothing.h"

#include <QAreaSeries>
#include <QChart>
#include <QCheckBox>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QSignalSpy>
#include <QSlider>
#include <QValueAxis>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>

using ds::ui::NiceAxisRange;
using ds::ui::PlotWidget;
using ds::ui::SeriesDownsampler;
using ds::ui::SeriesSmoothing;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

QAbstractAxis* verticalAxis(QChart* chart) {
    const auto axes = chart->axes(Qt::Vertical);
    return axes.isEmpty() ? nullptr : axes.first();
}

double minY(const QVector<QPointF>& points) {
    double m = kInf;
    for (const QPointF& p : points) m = std::min(m, p.y());
    return m;
}

int visibleMarkerCount(QChart* chart) {
    int count = 0;
    for (QLegendMarker* marker : chart->legend()->markers()) count += marker->isVisible() ? 1 : 0;
    return count;
}

double maxY(const QVector<QPointF>& points) {
    double m = -kInf;
    for (const QPointF& p : points) m = std::max(m, p.y());
    return m;
}

}  // namespace

class TestPlotWidget : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // --- the maths ---

    // s_t = b*s_{t-1} + (1-b)*y_t, shown as s_t/(1-b^t). With b = 0.5 on [1, 2, 3]:
    //   s1 = 0.5          -> 0.5/0.5     = 1
    //   s2 = 0.25 + 1     -> 1.25/0.75   = 5/3
    //   s3 = 0.625 + 1.5  -> 2.125/0.875 = 17/7
    void debiasedEmaByHand() {
        const QVector<double> s = PlotWidget::debiasedEma({1.0, 2.0, 3.0}, 0.5);
        QCOMPARE(s.size(), 3);
        QVERIFY(qFuzzyCompare(s[0], 1.0));
        QVERIFY(qFuzzyCompare(s[1], 5.0 / 3.0));
        QVERIFY(qFuzzyCompare(s[2], 17.0 / 7.0));
    }

    // b = 0.9 on [10, 0]: s1 = 1 -> 1/0.1 = 10; s2 = 0.9 -> 0.9/0.19 = 90/19.
    void debiasedEmaSecondCase() {
        const QVector<double> s = PlotWidget::debiasedEma({10.0, 0.0}, 0.9);
        QVERIFY(qFuzzyCompare(s[0], 10.0));
        QVERIFY(qFuzzyCompare(s[1], 90.0 / 19.0));
    }

    void zeroBetaIsIdentity() {
        const QVector<double> values{3.0, -1.0, 7.5};
        QCOMPARE(PlotWidget::debiasedEma(values, 0.0), values);
    }

    void constantSeriesStaysConstant() {
        // Debiasing is what keeps the first values of a constant series at that constant.
        const QVector<double> s = PlotWidget::debiasedEma(QVector<double>(50, 4.0), 0.99);
        for (double v : s) QVERIFY(qFuzzyCompare(v, 4.0));
    }

    void betaIsCapped() {
        QCOMPARE(SeriesSmoothing::clampBeta(1.0), 0.999);
        QCOMPARE(SeriesSmoothing::clampBeta(5.0), 0.999);
        QCOMPARE(SeriesSmoothing::clampBeta(-0.3), 0.0);
        QCOMPARE(SeriesSmoothing::clampBeta(kNaN), 0.0);
        // beta = 1 would return the first value forever; capped, the curve still moves.
        const QVector<double> s = PlotWidget::debiasedEma({0.0, 1000.0}, 1.0);
        QCOMPARE(s, PlotWidget::debiasedEma({0.0, 1000.0}, 0.999));
        QVERIFY(s[1] > 0.0);

        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        plot.setSmoothing(1.0);
        QCOMPARE(plot.smoothing(), 0.999);
        plot.setSmoothing(-1.0);
        QCOMPARE(plot.smoothing(), 0.0);
    }

    // Non-finite values neither advance t nor move the average: [1, NaN, 2, inf, 3] smooths like
    // [1, 2, 3], and the bad entries come back unchanged at their own indexes.
    void nonFiniteValuesAreSkipped() {
        const QVector<double> s = PlotWidget::debiasedEma({1.0, kNaN, 2.0, kInf, 3.0}, 0.5);
        QCOMPARE(s.size(), 5);
        QVERIFY(qFuzzyCompare(s[0], 1.0));
        QVERIFY(std::isnan(s[1]));
        QVERIFY(qFuzzyCompare(s[2], 5.0 / 3.0));
        QVERIFY(std::isinf(s[3]));
        QVERIFY(qFuzzyCompare(s[4], 17.0 / 7.0));
    }

    void downsamplerKeepsBucketMinMax() {
        // 10 tight clusters of 100 points, 1000 apart in x: whatever the bucket edges, each cluster
        // fills one bucket of its own. Cluster k holds y = 100k .. 100k + 99.
        QVector<QPointF> raw;
        QVector<double> smoothed;
        for (int k = 0; k < 10; ++k) {
            for (int j = 0; j < 100; ++j) {
                raw.append(QPointF(1000.0 * k + 0.001 * j, 100.0 * k + j));
                smoothed.append(-1.0 * k);
            }
        }
        const auto display = SeriesDownsampler::downsample(raw, smoothed, 10, false);
        QVERIFY(display.decimated);
        QCOMPARE(display.smoothed.size(), 10);
        QCOMPARE(display.upper.size(), 10);
        for (int k = 0; k < 10; ++k) {
            QCOMPARE(display.lower[k].y(), 100.0 * k);
            QCOMPARE(display.upper[k].y(), 100.0 * k + 99.0);
            QCOMPARE(display.raw[k].y(), 100.0 * k + 49.5);
            QCOMPARE(display.smoothed[k].y(), -1.0 * k);
            QVERIFY(qAbs(display.raw[k].x() - (1000.0 * k + 0.0495)) < 1e-9);
        }
    }

    // A live series arrives in chunks; merging buckets as x grows must keep the display bounded
    // and the extremes exact, and agree with the same points bucketed in one go.
    void downsamplerGrowsIncrementally() {
        constexpr int kPoints = 100000;
        constexpr int kLimit = 500;
        QVector<QPointF> raw;
        QVector<double> smoothed;
        SeriesDownsampler incremental(kLimit, false);
        double lowest = kInf, highest = -kInf;
        for (int i = 0; i < kPoints; ++i) {
            const double y = std::sin(i * 0.01) * (1.0 + i * 1e-5);
            raw.append(QPointF(i, y));
            smoothed.append(y);
            lowest = std::min(lowest, y);
            highest = std::max(highest, y);
            if (i % 997 == 0) {
                incremental.append(raw, smoothed);
                QVERIFY(incremental.display(raw, smoothed).raw.size() <= kLimit);
            }
        }
        incremental.append(raw, smoothed);
        QCOMPARE(incremental.consumed(), kPoints);
        const auto display = incremental.display(raw, smoothed);
        QVERIFY(display.decimated);
        QVERIFY(display.upper.size() >= kLimit / 2 && display.upper.size() <= kLimit);
        QCOMPARE(minY(display.lower), lowest);
        QCOMPARE(maxY(display.upper), highest);
        for (int k = 1; k < display.raw.size(); ++k) QVERIFY(display.raw[k].x() > display.raw[k - 1].x());

        // Going left of the first bucket cannot be merged in: the caller must rebuild.
        raw.append(QPointF(-10.0, 0.0));
        smoothed.append(0.0);
        incremental.append(raw, smoothed);
        QVERIFY(incremental.needsRebuild());
    }

    void downsamplerPassesShortSeriesThrough() {
        const QVector<QPointF> raw{{0, 1}, {1, -2}, {2, 3}};
        const auto display = SeriesDownsampler::downsample(raw, {1, -2, 3}, 100, true);
        QVERIFY(!display.decimated);
        QCOMPARE(display.raw, (QVector<QPointF>{{0, 1}, {2, 3}}));  // log: y <= 0 dropped
    }

    void niceAxisRanges() {
        const NiceAxisRange steps = NiceAxisRange::around(0.0, 9731.0);
        QCOMPARE(steps.min(), 0.0);
        QCOMPARE(steps.max(), 10000.0);
        QCOMPARE(steps.step(), 2000.0);
        QCOMPARE(steps.tickCount(), 6);

        const NiceAxisRange loss = NiceAxisRange::around(0.031, 0.47);
        QCOMPARE(loss.min(), 0.0);
        QVERIFY(qFuzzyCompare(loss.max(), 0.5));
        QVERIFY(loss.tickCount() >= 3 && loss.tickCount() <= 7);

        const NiceAxisRange flat = NiceAxisRange::around(2.0, 2.0);
        QVERIFY(flat.min() < 2.0 && flat.max() > 2.0);
    }

    // --- the widget ---

    void appendIsBufferedUntilFlush() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        QLineSeries* line = plot.smoothedSeries(id);
        QVERIFY(line);
        QCOMPARE(line->count(), 0);

        for (int step = 0; step < 50; ++step) plot.appendPoint(id, step, 1.0 / (step + 1));
        QCOMPARE(plot.pointCount(id), 50);
        QCOMPARE(line->count(), 0);  // stored, not drawn
        QVERIFY(plot.hasPendingUpdate());

        plot.flush();
        QCOMPARE(line->count(), 50);
        QCOMPARE(plot.rawSeries(id)->count(), 50);
        QVERIFY(!plot.hasPendingUpdate());
    }

    void timerAppliesPendingPoints() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        plot.appendPoints(id, {{0, 1.0}, {1, 0.5}, {2, 0.25}});
        QLineSeries* line = plot.smoothedSeries(id);
        QCOMPARE(line->count(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(line->count(), 3, ds::test::kHangMs);  // the redraw timer fires
    }

    void smoothedPointsFollowSmoothing() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        plot.appendPoints(id, {{10, 1.0}, {20, 2.0}, {30, 3.0}});
        plot.setSmoothing(0.5);
        const QVector<QPointF> s = plot.smoothedPoints(id);  // valid before any flush
        QCOMPARE(s.size(), 3);
        QCOMPARE(s[2].x(), 30.0);
        QVERIFY(qFuzzyCompare(s[2].y(), 17.0 / 7.0));

        // Appending extends the smoothed curve incrementally, with the same result as from scratch.
        plot.appendPoint(id, 40, 4.0);
        const QVector<double> expected = PlotWidget::debiasedEma({1, 2, 3, 4}, 0.5);
        QVERIFY(qFuzzyCompare(plot.smoothedPoints(id)[3].y(), expected[3]));

        plot.flush();
        QLineSeries* line = plot.smoothedSeries(id);
        QVERIFY(qFuzzyCompare(line->at(3).y(), expected[3]));
    }

    void nonFinitePointsAreNotHeld() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        plot.appendPoint(id, 0, 1.0);
        plot.appendPoint(id, 1, kNaN);
        plot.appendPoint(id, 2, kInf);
        plot.appendPoint(id, kNaN, 3.0);
        plot.appendPoints(id, {{3, 2.0}, {4, -kInf}});
        QCOMPARE(plot.pointCount(id), 2);
        plot.flush();
        auto* y = qobject_cast<QValueAxis*>(verticalAxis(plot.chart()));
        QVERIFY(y);
        QVERIFY(std::isfinite(y->min()) && std::isfinite(y->max()));
        QVERIFY(y->min() <= 1.0 && y->max() >= 2.0);
    }

    void setPointsReplacesAll() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        plot.appendPoints(id, {{0, 5}, {1, 6}, {2, 7}});
        plot.flush();
        const QVector<QPointF> loaded{{100, 1}, {200, 2}};
        plot.setPoints(id, loaded);
        QCOMPARE(plot.rawPoints(id), loaded);
        plot.setSmoothing(0.0);
        plot.flush();
        QCOMPARE(plot.smoothedSeries(id)->points(), loaded);
        QCOMPARE(plot.smoothedPoints(id), loaded);

        plot.setPoints(id, {});
        plot.flush();
        QCOMPARE(plot.pointCount(id), 0);
        QCOMPARE(plot.smoothedSeries(id)->count(), 0);
    }

    void removeSeriesAndClear() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int a = plot.addSeries(QStringLiteral("run a"));
        const int b = plot.addSeries(QStringLiteral("run b"));
        QVERIFY(a != b);
        QVERIFY(plot.seriesColor(a) != plot.seriesColor(b));
        QCOMPARE(plot.chart()->series().size(), 6);  // line, raw, band per series
        QVERIFY(plot.chart()->legend()->isVisible());

        plot.appendPoint(a, 0, 1);
        plot.removeSeries(a);
        QCOMPARE(plot.pointCount(a), 0);
        QVERIFY(!plot.smoothedSeries(a));
        QCOMPARE(plot.seriesIds(), QVector<int>{b});
        QCOMPARE(plot.chart()->series().size(), 3);
        QVERIFY(!plot.chart()->legend()->isVisible());  // one series: no legend
        plot.appendPoint(a, 1, 1);                      // a stale id is ignored
        plot.flush();

        const QColor colorB = plot.seriesColor(b);
        const int c = plot.addSeries(QStringLiteral("run c"));
        QCOMPARE(plot.seriesColor(b), colorB);  // stable per id
        QVERIFY(c != a);

        plot.clear();
        QVERIFY(plot.seriesIds().isEmpty());
        QCOMPARE(plot.chart()->series().size(), 0);
    }

    void legendListsOnlySmoothedCurves() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        plot.show();  // a marker of a hidden chart reports itself invisible
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.addSeries(QStringLiteral("run a"));
        plot.addSeries(QStringLiteral("run b"));
        plot.setRawVisible(false);
        plot.setRawVisible(true);  // showing a series again must not bring its marker back
        // The legend lays its markers out (and shows them) on the next event loop pass.
        QTRY_COMPARE_WITH_TIMEOUT(visibleMarkerCount(plot.chart()), 2, ds::test::kHangMs);
    }

    void logYSwitchesAxisAndDropsNonPositive() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        plot.setSmoothing(0.0);
        plot.appendPoints(id, {{0, 0.5}, {1, 0.0}, {2, -1.0}, {3, 0.02}, {4, 0.1}});
        plot.flush();
        QVERIFY(qobject_cast<QValueAxis*>(verticalAxis(plot.chart())));
        QCOMPARE(plot.rawSeries(id)->count(), 5);

        auto* check = plot.findChild<QCheckBox*>(QStringLiteral("plotLogYCheck"));
        QVERIFY(check);
        check->setChecked(true);
        QVERIFY(plot.logY());
        auto* logAxis = qobject_cast<QLogValueAxis*>(verticalAxis(plot.chart()));
        QVERIFY(logAxis);
        QCOMPARE(plot.chart()->axes(Qt::Vertical).size(), 1);
        QCOMPARE(plot.smoothedSeries(id)->attachedAxes().size(), 2);
        QCOMPARE(plot.rawSeries(id)->count(), 3);
        QVERIFY(minY(plot.rawSeries(id)->points()) > 0.0);
        QVERIFY(minY(plot.smoothedSeries(id)->points()) > 0.0);
        QVERIFY(logAxis->min() > 0.0 && logAxis->min() <= 0.02 && logAxis->max() >= 0.5);
        QCOMPARE(plot.pointCount(id), 5);  // still held, for when log-y is turned off

        plot.setLogY(false);
        QVERIFY(!check->isChecked());
        QVERIFY(qobject_cast<QValueAxis*>(verticalAxis(plot.chart())));
        QCOMPARE(plot.rawSeries(id)->count(), 5);
    }

    void bandVisibility() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        QAreaSeries* band = plot.bandSeries(id);
        QVERIFY(band);
        auto* check = plot.findChild<QCheckBox*>(QStringLiteral("plotBandCheck"));
        QVERIFY(check);
        QCOMPARE(check->isChecked(), plot.bandVisible());
        QCOMPARE(band->isVisible(), plot.bandVisible());

        check->setChecked(false);
        QVERIFY(!plot.bandVisible());
        QVERIFY(!band->isVisible());
        plot.setBandVisible(true);
        QVERIFY(check->isChecked());
        QVERIFY(band->isVisible());
        // New series follow the current setting.
        plot.setBandVisible(false);
        QVERIFY(!plot.bandSeries(plot.addSeries(QStringLiteral("other")))->isVisible());

        auto* raw = plot.findChild<QCheckBox*>(QStringLiteral("plotRawCheck"));
        QVERIFY(raw);
        raw->setChecked(false);
        QVERIFY(!plot.rawSeries(id)->isVisible());
    }

    void decimationBoundsDisplayedPoints() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        constexpr int kPoints = 200000;
        QVector<QPointF> points;
        points.reserve(kPoints);
        for (int i = 0; i < kPoints; ++i) points.append(QPointF(i, 1.0 + std::sin(i * 0.37)));
        points[123457].setY(-5.0);  // one spike down, one up: the band must keep both
        points[7].setY(9.0);
        plot.setPoints(id, points);
        plot.flush();

        const int limit = plot.displayPointLimit();
        QVERIFY(limit <= PlotWidget::kMaxDisplayPoints);
        QLineSeries* line = plot.smoothedSeries(id);
        QVERIFY(line->count() > 0 && line->count() <= limit);
        QVERIFY(plot.rawSeries(id)->count() <= limit);
        QAreaSeries* band = plot.bandSeries(id);
        QVERIFY(band->upperSeries()->count() <= limit);
        QCOMPARE(minY(band->lowerSeries()->points()), -5.0);
        QCOMPARE(maxY(band->upperSeries()->points()), 9.0);
        QCOMPARE(plot.pointCount(id), kPoints);

        // The axes cover the band's extremes.
        auto* y = qobject_cast<QValueAxis*>(verticalAxis(plot.chart()));
        QVERIFY(y->min() <= -5.0 && y->max() >= 9.0);
        auto* x = qobject_cast<QValueAxis*>(plot.chart()->axes(Qt::Horizontal).first());
        QVERIFY(x->min() <= 0.0 && x->max() >= kPoints - 1);
    }

    void liveAppendsStayDecimated() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        const int id = plot.addSeries(QStringLiteral("run"));
        double highest = -kInf;
        for (int step = 0; step < 60000; ++step) {
            const double y = 1.0 + std::cos(step * 0.05) + (step == 31337 ? 50.0 : 0.0);
            highest = std::max(highest, y);
            plot.appendPoint(id, step, y);
            if (step % 5000 == 4999) plot.flush();
        }
        plot.flush();
        QVERIFY(plot.smoothedSeries(id)->count() <= plot.displayPointLimit());
        QCOMPARE(maxY(plot.bandSeries(id)->upperSeries()->points()), highest);
        // Loading the same run at once shows the same extremes.
        const QVector<QPointF> all = plot.rawPoints(id);
        plot.setPoints(id, all);
        plot.flush();
        QCOMPARE(maxY(plot.bandSeries(id)->upperSeries()->points()), highest);
    }

    void sliderChangesSmoothing() {
        PlotWidget plot(QStringLiteral("Loss"), QStringLiteral("loss"));
        auto* slider = plot.findChild<QSlider*>(QStringLiteral("plotSmoothingSlider"));
        QVERIFY(slider);
        QCOMPARE(slider->maximum(), 999);
        QSignalSpy spy(&plot, &PlotWidget::smoothingChanged);

        slider->setValue(900);
        QCOMPARE(plot.smoothing(), 0.9);
        QCOMPARE(spy.size(), 1);
        QCOMPARE(spy.first().first().toDouble(), 0.9);

        slider->setValue(slider->maximum());
        QCOMPARE(plot.smoothing(), 0.999);

        plot.setSmoothing(0.25);
        QCOMPARE(slider->value(), 250);
    }

    void controlsCanBeHidden() {
        PlotWidget plot(QStringLiteral("Learning rate"), QStringLiteral("lr"));
        QVERIFY(plot.controlsVisible());
        plot.setControlsVisible(false);
        QVERIFY(!plot.controlsVisible());
        QVERIFY(plot.chart());
        QCOMPARE(plot.chart()->title(), QStringLiteral("Learning rate"));
    }
};

QTEST_MAIN(TestPlotWidget)
#include "test_plot_widget.moc"
