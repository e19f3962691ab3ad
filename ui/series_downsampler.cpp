// Diffusion Studio - reduces a long metric series to what a chart can show.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/series_downsampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ds::ui {
namespace {

bool drawable(double y, bool positiveOnly) { return std::isfinite(y) && (!positiveOnly || y > 0.0); }

}  // namespace

void SeriesDownsampler::Bucket::add(double x, double smoothed, double raw, bool positiveOnly) {
    sumX += x;
    ++countX;
    if (drawable(smoothed, positiveOnly)) {
        sumSmoothed += smoothed;
        ++countSmoothed;
    }
    if (drawable(raw, positiveOnly)) {
        minRaw = countRaw == 0 ? raw : std::min(minRaw, raw);
        maxRaw = countRaw == 0 ? raw : std::max(maxRaw, raw);
        sumRaw += raw;
        ++countRaw;
    }
}

void SeriesDownsampler::Bucket::merge(const Bucket& other) {
    if (other.countRaw > 0) {
        minRaw = countRaw == 0 ? other.minRaw : std::min(minRaw, other.minRaw);
        maxRaw = countRaw == 0 ? other.maxRaw : std::max(maxRaw, other.maxRaw);
    }
    sumX += other.sumX;
    countX += other.countX;
    sumSmoothed += other.sumSmoothed;
    countSmoothed += other.countSmoothed;
    sumRaw += other.sumRaw;
    countRaw += other.countRaw;
}

SeriesDownsampler::SeriesDownsampler(int maxPoints, bool positiveOnly) { reset(maxPoints, positiveOnly); }

void SeriesDownsampler::reset(int maxPoints, bool positiveOnly) {
    maxPoints_ = std::max(2, maxPoints);
    positiveOnly_ = positiveOnly;
    consumed_ = 0;
    bucketed_ = false;
    needsRebuild_ = false;
    buckets_.clear();
}

void SeriesDownsampler::append(const QVector<QPointF>& raw, const QVector<double>& smoothedY) {
    if (needsRebuild_) return;
    if (!bucketed_) {
        if (raw.size() <= maxPoints_) {
            consumed_ = raw.size();  // short: display() reads the points themselves
            return;
        }
        startBuckets(raw, smoothedY);
        return;
    }
    for (int i = consumed_; i < raw.size() && !needsRebuild_; ++i)
        addToBucket(raw[i].x(), smoothedY.value(i, qQNaN()), raw[i].y());
    consumed_ = raw.size();
}

// The first time the series outgrows maxPoints: buckets spanning the points seen so far, sized so
// that the rightmost point lands in the last bucket.
void SeriesDownsampler::startBuckets(const QVector<QPointF>& raw, const QVector<double>& smoothedY) {
    double minX = std::numeric_limits<double>::infinity();
    double maxX = -std::numeric_limits<double>::infinity();
    for (const QPointF& p : raw) {
        if (!std::isfinite(p.x())) continue;
        minX = std::min(minX, p.x());
        maxX = std::max(maxX, p.x());
    }
    bucketed_ = true;
    consumed_ = raw.size();
    if (!(minX <= maxX)) return;  // no finite x at all: nothing to draw

    originX_ = minX;
    const double span = maxX - minX;
    width_ = span > 0.0 ? span / (maxPoints_ - 0.5) : 1.0;
    buckets_.assign(static_cast<size_t>(maxPoints_), Bucket());
    for (int i = 0; i < raw.size(); ++i) addToBucket(raw[i].x(), smoothedY.value(i, qQNaN()), raw[i].y());
}

void SeriesDownsampler::addToBucket(double x, double smoothed, double raw) {
    if (!std::isfinite(x)) return;
    if (buckets_.empty()) {  // the first finite x after only non-finite ones
        originX_ = x;
        buckets_.assign(static_cast<size_t>(maxPoints_), Bucket());
    }
    if (x < originX_) {
        needsRebuild_ = true;
        return;
    }
    double index = std::floor((x - originX_) / width_);
    while (index >= maxPoints_) {
        halveBuckets();
        index = std::floor((x - originX_) / width_);
    }
    buckets_[static_cast<size_t>(index)].add(x, smoothed, raw, positiveOnly_);
}

// Twice as wide, half as many: bucket k becomes old buckets 2k and 2k+1.
void SeriesDownsampler::halveBuckets() {
    const size_t count = buckets_.size();
    for (size_t k = 0; k < count / 2; ++k) {
        Bucket merged = buckets_[2 * k];
        merged.merge(buckets_[2 * k + 1]);
        buckets_[k] = merged;
    }
    std::fill(buckets_.begin() + static_cast<std::ptrdiff_t>(count / 2), buckets_.end(), Bucket());
    width_ *= 2.0;
}

DisplaySeries SeriesDownsampler::display(const QVector<QPointF>& raw, const QVector<double>& smoothedY) const {
    return bucketed_ ? fromBuckets() : passThrough(raw, smoothedY);
}

DisplaySeries SeriesDownsampler::passThrough(const QVector<QPointF>& raw, const QVector<double>& smoothedY) const {
    DisplaySeries out;
    const int count = std::min(consumed_, int(raw.size()));
    out.smoothed.reserve(count);
    out.raw.reserve(count);
    for (int i = 0; i < count; ++i) {
        const double x = raw[i].x();
        if (!std::isfinite(x)) continue;
        const double s = smoothedY.value(i, qQNaN());
        if (drawable(s, positiveOnly_)) out.smoothed.append(QPointF(x, s));
        if (drawable(raw[i].y(), positiveOnly_)) out.raw.append(raw[i]);
    }
    out.lower = out.raw;
    out.upper = out.raw;
    return out;
}

DisplaySeries SeriesDownsampler::fromBuckets() const {
    DisplaySeries out;
    out.decimated = true;
    for (auto* curve : {&out.smoothed, &out.raw, &out.lower, &out.upper}) curve->reserve(int(buckets_.size()));
    for (const Bucket& b : buckets_) {
        if (b.countX == 0) continue;
        const double x = b.sumX / b.countX;
        if (b.countSmoothed > 0) out.smoothed.append(QPointF(x, b.sumSmoothed / b.countSmoothed));
        if (b.countRaw > 0) {
            out.raw.append(QPointF(x, b.sumRaw / b.countRaw));
            out.lower.append(QPointF(x, b.minRaw));
            out.upper.append(QPointF(x, b.maxRaw));
        }
    }
    return out;
}

DisplaySeries SeriesDownsampler::downsample(const QVector<QPointF>& raw, const QVector<double>& smoothedY,
                                            int maxPoints, bool positiveOnly) {
    SeriesDownsampler downsampler(maxPoints, positiveOnly);
    downsampler.append(raw, smoothedY);
    return downsampler.display(raw, smoothedY);  // one pass from the minimum: no rebuild needed
}

}  // namespace ds::ui
