// Diffusion Studio - axis ranges on round numbers.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/nice_axis_range.h"

#include <algorithm>
#include <cmath>

namespace ds::ui {

NiceAxisRange::NiceAxisRange(double min, double max, double step, int tickCount)
    : min_(min), max_(max), step_(step), tickCount_(tickCount) {}

NiceAxisRange NiceAxisRange::around(double lo, double hi, int maxTicks) {
    if (hi < lo) std::swap(lo, hi);
    if (hi == lo) {
        const double pad = lo != 0.0 ? std::abs(lo) * 0.1 : 0.5;
        lo -= pad;
        hi += pad;
    }
    const int intervals = std::max(1, maxTicks - 1);
    const double span = niceNumber(hi - lo, false);
    const double step = niceNumber(span / intervals, true);
    const double niceMin = std::floor(lo / step) * step;
    const double niceMax = std::ceil(hi / step) * step;
    const int ticks = int(std::lround((niceMax - niceMin) / step)) + 1;
    return NiceAxisRange(niceMin, niceMax, step, ticks);
}

double NiceAxisRange::niceNumber(double x, bool round) {
    const double exponent = std::floor(std::log10(x));
    const double power = std::pow(10.0, exponent);
    const double fraction = x / power;  // in [1, 10)
    double nice;
    if (round) nice = fraction < 1.5 ? 1.0 : fraction < 3.0 ? 2.0 : fraction < 7.0 ? 5.0 : 10.0;
    else nice = fraction <= 1.0 ? 1.0 : fraction <= 2.0 ? 2.0 : fraction <= 5.0 ? 5.0 : 10.0;
    return nice * power;
}

}  // namespace ds::ui
