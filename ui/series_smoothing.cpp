// Diffusion Studio - debiased exponential moving average of a metric series.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/series_smoothing.h"

#include <cmath>

namespace ds::ui {

SeriesSmoothing::SeriesSmoothing(double beta) : beta_(clampBeta(beta)) {}

double SeriesSmoothing::clampBeta(double beta) {
    if (std::isnan(beta) || beta <= 0.0) return 0.0;
    return beta > kMaxBeta ? kMaxBeta : beta;
}

QVector<double> SeriesSmoothing::debiasedEma(const QVector<double>& values, double beta) {
    SeriesSmoothing smoothing(beta);
    QVector<double> smoothed;
    smoothed.reserve(values.size());
    for (double y : values) smoothed.append(smoothing.next(y));
    return smoothed;
}

double SeriesSmoothing::next(double y) {
    if (!std::isfinite(y)) return y;
    average_ = beta_ * average_ + (1.0 - beta_) * y;
    betaPower_ *= beta_;
    ++count_;
    // With beta = 0 the debias factor is exactly 1 and the value passes through unchanged.
    return average_ / (1.0 - betaPower_);
}

void SeriesSmoothing::reset() {
    average_ = 0.0;
    betaPower_ = 1.0;
    count_ = 0;
}

}  // namespace ds::ui
