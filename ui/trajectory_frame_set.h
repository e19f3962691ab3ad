// Diffusion Studio - the frames of one sampler run, as the explorer keeps them.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/job_sink.h"

#include <QImage>
#include <QString>
#include <QVector>

namespace ds::ui {

// One frame: the batch grid of x_t and of the predicted x0 (null for frame 0, the noise).
struct ExplorerFrame {
    int step = 0;
    int steps = 0;
    double t = 0;  // timestep of x_t (fractional for the ODE solvers; -1: the final sample)
    double modelT = -1;
    double alphaCumprod = 1.0;
    QImage xt;
    QImage x0;

    static ExplorerFrame fromCore(const api::TrajectoryFrame& f);
    // "step 3 / 10 · t = 69 · ᾱ = 0.312"
    QString caption() const;
};

// The frames of a run and the ways to export them.
class TrajectoryFrameSet {
public:
    void clear() { frames_.clear(); }
    void append(const ExplorerFrame& f) { frames_.append(f); }
    int size() const { return static_cast<int>(frames_.size()); }
    bool isEmpty() const { return frames_.isEmpty(); }
    const ExplorerFrame& at(int i) const { return frames_.at(i); }

    // The frame whose noise level (alpha-bar, compared as log-SNR) is nearest to `alphaCumprod`:
    // runs of different samplers and step counts line up by how noisy their states are.
    int nearestByNoise(double alphaCumprod) const;
    // x_t above x0 (noise frame: x_t only), with a small gap.
    static QImage framePair(const ExplorerFrame& f);
    // Every frame's pair, left to right: the whole trajectory in one image.
    QImage strip() const;

private:
    QVector<ExplorerFrame> frames_;
};

}  // namespace ds::ui
