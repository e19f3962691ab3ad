// Diffusion Studio - reduces a long metric series to what a chart can show.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QPointF>
#include <QVector>

#include <vector>

namespace ds::ui {

// The curves a chart draws for one series, already reduced to at most `maxPoints` points each.
struct DisplaySeries {
    QVector<QPointF> smoothed;  // mean of the smoothed values per bucket
    QVector<QPointF> raw;       // mean of the raw values per bucket
    QVector<QPointF> lower;     // min of the raw values per bucket (the band's lower edge)
    QVector<QPointF> upper;     // max of the raw values per bucket (the band's upper edge)
    bool decimated = false;     // true when buckets hold more than one point
};

// Display decimation. Drawing 700,000 points per curve costs Qt Charts hundreds of milliseconds
// and shows nothing more than ~2 points per pixel can, so long series are cut into equal-width x
// buckets, each drawn as its mean (the lines) and its min/max (the band). Series of at most
// `maxPoints` points pass through point by point (then the band collapses onto the raw curve).
//
// Incremental, because a live chart grows by a few points per refresh: appended points go into
// their bucket, and when x outgrows the last bucket, neighbouring buckets merge pairwise (sums,
// counts, min and max all merge exactly) and the width doubles. A refresh then costs the new
// points plus the buckets, not the whole run. A point left of the first bucket (x going
// backwards past the start) needs a rebuild; needsRebuild() says so.
//
// Points that a chart cannot draw are dropped per curve: non-finite x or y, and, on a log axis
// (positiveOnly), y <= 0.
class SeriesDownsampler {
public:
    explicit SeriesDownsampler(int maxPoints = 2000, bool positiveOnly = false);

    // Forgets every point and starts over with these settings.
    void reset(int maxPoints, bool positiveOnly);
    // Consumes raw[consumed() ..] (and the matching smoothedY); both vectors hold the whole series.
    void append(const QVector<QPointF>& raw, const QVector<double>& smoothedY);
    // The curves to draw; `raw` and `smoothedY` are the vectors given to append().
    DisplaySeries display(const QVector<QPointF>& raw, const QVector<double>& smoothedY) const;

    int consumed() const { return consumed_; }
    int maxPoints() const { return maxPoints_; }
    bool positiveOnly() const { return positiveOnly_; }
    bool needsRebuild() const { return needsRebuild_; }

    // One shot: the display of a whole series.
    static DisplaySeries downsample(const QVector<QPointF>& raw, const QVector<double>& smoothedY, int maxPoints,
                                    bool positiveOnly);

private:
    // Running sums of one x bucket. Raw and smoothed values are counted separately because a log
    // axis may drop one and keep the other (a negative raw value can have a positive average).
    struct Bucket {
        double sumX = 0.0;
        int countX = 0;
        double sumSmoothed = 0.0;
        int countSmoothed = 0;
        double sumRaw = 0.0;
        int countRaw = 0;
        double minRaw = 0.0;
        double maxRaw = 0.0;

        void add(double x, double smoothed, double raw, bool positiveOnly);
        void merge(const Bucket& other);
    };

    void startBuckets(const QVector<QPointF>& raw, const QVector<double>& smoothedY);
    void addToBucket(double x, double smoothed, double raw);
    void halveBuckets();
    DisplaySeries passThrough(const QVector<QPointF>& raw, const QVector<double>& smoothedY) const;
    DisplaySeries fromBuckets() const;

    int maxPoints_ = 2000;
    bool positiveOnly_ = false;
    int consumed_ = 0;
    bool bucketed_ = false;  // false: still short enough to pass through
    bool needsRebuild_ = false;
    double originX_ = 0.0;  // left edge of bucket 0
    double width_ = 1.0;    // of every bucket
    std::vector<Bucket> buckets_;
};

}  // namespace ds::ui
