// Diffusion Studio - benchmarks of what a person feels: start-up time and UI-thread stalls.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QObject>

namespace ds::ui {

class MainWindow;

// Milliseconds since this process started (from /proc, so dynamic loading counts too).
double millisecondsSinceProcessStart();

// Trains the tiny preset on Fashion-MNIST from the Train page for `seconds` while a precise
// 2 ms timer on the UI thread measures how late each tick fires; a late tick is the UI thread
// being busy (chart updates, image conversion, event delivery). Returns the longest and the
// 99th-percentile stall, the longest stretch of the UI thread's own CPU work between two ticks
// (what our code costs, apart from the scheduler), and the training steps and chart points.
QJsonObject benchResponsiveness(MainWindow& window, double seconds);

}  // namespace ds::ui
