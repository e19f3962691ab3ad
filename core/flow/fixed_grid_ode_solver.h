// SPDX-License-Identifier: GPL-3.0-or-later
// Euler, midpoint, classic RK4 and RK4 with the 3/8 rule on a fixed grid, stepping as
// torchdiffeq's FixedGridODESolver does: one step per grid interval; a requested time inside an
// interval is the linear interpolation of the interval's ends (exact at the ends).
#pragma once
#include "core/flow/ode_solver.h"

namespace ds::flow {

class FixedGridOdeSolver : public OdeSolver {
public:
    // steps > 0: an equal grid of `steps` intervals over [times.front(), times.back()];
    // 0: the requested times are the grid.
    FixedGridOdeSolver(OdeMethod method, int steps);

    // The increment y1 - y0 of one step from (t0, y0) over dt.
    torch::Tensor step(const VelocityField& v, double t0, double dt, const torch::Tensor& y0) const;

protected:
    void integrate(const VelocityField& v, const torch::Tensor& x0, const std::vector<double>& times, bool recordSteps,
                   Recorder& recorder, OdeTrajectory& stats, const StopToken* stop) const override;

private:
    std::vector<double> grid(const std::vector<double>& times) const;

    OdeMethod method_;
    int steps_;
};

}  // namespace ds::flow
