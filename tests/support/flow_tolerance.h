// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: the tolerance of a fixed-grid ODE run (Euler, midpoint, RK4) whose field is a
// float32 network, against another implementation or kernel family. Each evaluation of the
// field may be off by the network's budget (kUnetRelativeTolerance of the largest |v| met); a
// step of length h carries h times that into the state, so over the run the field's budget
// integrates to budget x (t_end - t_start), and each step's float32 update rounds by a few
// epsilons of |y|. An error made early is then carried (and grown or damped) by the flow itself:
// that growth is measured by finite differences, running the same solver from a perturbed
// start, and multiplies the sum (at least 1).
#pragma once
#include "core/flow/ode_solver.h"
#include "tests/support/network_tolerance.h"

#include <torch/torch.h>

#include <vector>

namespace ds::test {

struct FlowRunTolerance {
    double tolerance = 0;    // on every recorded state
    double growth = 1;       // the flow's largest growth of a perturbation of the start
    double maxVelocity = 0;  // the largest |v| met
};

FlowRunTolerance fixedGridTolerance(const flow::VelocityField& field, const flow::OdeOptions& options,
                                    const torch::Tensor& y0, const std::vector<double>& times,
                                    bool recordSteps = false);

}  // namespace ds::test
