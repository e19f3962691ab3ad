// Diffusion Studio - axis ranges on round numbers.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace ds::ui {

// A linear axis range widened to round tick values (1, 2 or 5 times a power of ten), the classic
// "nice numbers" of Heckbert (Graphics Gems, 1990).
//
// PlotWidget computes this itself instead of calling QValueAxis::applyNiceNumbers() because
// every range change makes Qt Charts rebuild the geometry of every series (tens of milliseconds
// for long curves): one setRange per axis, and none at all while the data stays inside the
// current round range, keeps a live chart's refresh cheap.
class NiceAxisRange {
public:
    // The nice range around [lo, hi] with at most about `maxTicks` ticks; lo <= hi, both finite.
    // A flat range (lo == hi) is widened around its value first.
    static NiceAxisRange around(double lo, double hi, int maxTicks = 6);

    double min() const { return min_; }
    double max() const { return max_; }
    double step() const { return step_; }
    int tickCount() const { return tickCount_; }

private:
    NiceAxisRange(double min, double max, double step, int tickCount);
    // The round number (1, 2, 5 or 10 times a power of ten) nearest to x, or not below it.
    static double niceNumber(double x, bool round);

    double min_ = 0.0;
    double max_ = 1.0;
    double step_ = 1.0;
    int tickCount_ = 2;
};

}  // namespace ds::ui
