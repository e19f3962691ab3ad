// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/flow_tolerance.h"

#include "tests/support/reference_tensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

namespace ds::test {

namespace {

// The finite-difference step of the growth: |y| is a few units; the two runs' float32
// rounding (~1e-6) stays a thousandth of the difference.
constexpr double kGrowthStep = 1e-3;

}  // namespace

FlowRunTolerance fixedGridTolerance(const flow::VelocityField& field, const flow::OdeOptions& options,
                                    const torch::Tensor& y0, const std::vector<double>& times, bool recordSteps) {
    FlowRunTolerance out;
    const flow::VelocityField measured = [&](double t, const torch::Tensor& x) {
        auto v = field(t, x);
        out.maxVelocity = std::max(out.maxVelocity, maxAbs(v));
        return v;
    };
    const auto solver = flow::OdeSolver::make(options);
    const auto run = solver->solve(measured, y0, times, recordSteps);
    at::Generator gen = at::detail::createCPUGenerator(7);
    const auto direction = torch::randint(0, 2, y0.sizes(), gen, y0.options()) * 2 - 1;
    const auto moved = solver->solve(field, y0 + kGrowthStep * direction, times, recordSteps);
    double maxY = 0;
    for (size_t k = 0; k < run.states.size(); ++k) {
        out.growth = std::max(out.growth, maxAbsDiff(moved.states[k], run.states[k]) / kGrowthStep);
        maxY = std::max(maxY, maxAbs(run.states[k]));
    }
    const double span = times.back() - times.front();
    out.tolerance = out.growth * (unetTolerance(out.maxVelocity) * span +
                                  double(run.acceptedSteps) * kArithmeticUlps * kFloat32Epsilon * maxY);
    return out;
}

}  // namespace ds::test
