// Diffusion Studio - debiased exponential moving average of a metric series.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QVector>

namespace ds::ui {

// The smoothing TensorBoard applies to scalar curves: an exponential moving average started at
// zero and divided by (1 - beta^t), so that the first values are not dragged towards zero.
//   s_t = beta * s_{t-1} + (1 - beta) * y_t,   shown as s_t / (1 - beta^t)
// t counts only finite values: NaN and infinities are skipped (they neither advance t nor move
// the average), so one bad step does not poison the rest of the curve.
//
// The class is incremental on purpose: a live chart extends the smoothed curve by the new points
// only, instead of recomputing a 700,000-step run on every refresh.
class SeriesSmoothing {
public:
    static constexpr double kMaxBeta = 0.999;

    explicit SeriesSmoothing(double beta = 0.0);

    // Clamps beta into [0, kMaxBeta]; NaN becomes 0 (no smoothing).
    static double clampBeta(double beta);

    // The debiased EMA of every value; a non-finite input yields the same non-finite value at its
    // index (the caller decides whether to draw it) and leaves the average untouched.
    static QVector<double> debiasedEma(const QVector<double>& values, double beta);

    double beta() const { return beta_; }
    // Finite values consumed so far (the t of the formula).
    long long count() const { return count_; }

    // Feeds one value and returns its smoothed value (y itself when y is not finite).
    double next(double y);
    // Forgets everything consumed; keeps beta.
    void reset();

private:
    double beta_ = 0.0;
    double average_ = 0.0;    // s_t before debiasing
    double betaPower_ = 1.0;  // beta^t, kept as a running product (no pow per value)
    long long count_ = 0;
};

}  // namespace ds::ui
