// SPDX-License-Identifier: GPL-3.0-or-later
// DPM-Solver and DPM-Solver++ (Lu et al. 2022), ported from LuChengTHU/dpm-solver's
// dpm_solver_pytorch.py: first-, second- and third-order updates, singlestep ("DPM-Solver-fast"),
// fixed-order singlestep, multistep, and the adaptive step-size method (DPM-Solver-12 / -23),
// with the reference's lower_order_final and denoise_to_zero, and both of its solver types
// ('dpmsolver', the recommended one, and 'taylor').
#pragma once
#include "core/diffusion/diffusion_ode_solver.h"

namespace ds::diffusion {

// The orders of a singlestep run of `steps` evaluations ("DPM-Solver-fast": as many steps of the
// given order as fit, then lower orders for the rest).
std::vector<int> dpmSolverSinglestepOrders(int steps, int order);

class DpmSolver : public DiffusionOdeSolver {
public:
    // plusPlus: DPM-Solver++ (data prediction); else DPM-Solver (noise prediction).
    DpmSolver(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule, bool plusPlus,
              const api::SolverOptions& options);

    // steps: the number of evaluations (multistep, singlestep) or K * order (singlestep-fixed);
    // ignored by the adaptive method.
    torch::Tensor sample(const torch::Tensor& x, int steps, const SolverStepCallback& onStep = {},
                         const StopToken* stop = nullptr) override;

    // The adaptive method's next step size in lambda (the half-logSNR) after a trial with error
    // estimate e: 0.9 h e^(-1/order), at most what is left to lambda0.
    static torch::Tensor adaptiveStepSize(const torch::Tensor& h, const torch::Tensor& e, int order,
                                          const torch::Tensor& lambda0, const torch::Tensor& lambdaS);

    // The singlestep schedule: the outer time grid and the order of each step.
    std::pair<torch::Tensor, std::vector<int>> singlestepOrdersAndTimesteps(int steps, int order, double tT,
                                                                            double t0) const;

private:
    struct Update {
        torch::Tensor x;
        torch::Tensor modelS, modelS1, modelS2;  // the model values it evaluated (or was given)
    };
    Update firstUpdate(const torch::Tensor& x, const torch::Tensor& s, const torch::Tensor& t,
                       torch::Tensor modelS = {});
    Update singlestepSecondUpdate(const torch::Tensor& x, const torch::Tensor& s, const torch::Tensor& t,
                                  const torch::Tensor& r1, torch::Tensor modelS = {});
    Update singlestepThirdUpdate(const torch::Tensor& x, const torch::Tensor& s, const torch::Tensor& t,
                                 const torch::Tensor& r1, const torch::Tensor& r2, torch::Tensor modelS = {},
                                 torch::Tensor modelS1 = {});
    torch::Tensor multistepSecondUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                        const std::vector<torch::Tensor>& times, const torch::Tensor& t);
    torch::Tensor multistepThirdUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                       const std::vector<torch::Tensor>& times, const torch::Tensor& t);
    torch::Tensor multistepUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                                  const std::vector<torch::Tensor>& times, const torch::Tensor& t, int order);

    torch::Tensor sampleMultistep(torch::Tensor x, int steps, const SolverStepCallback& onStep, const StopToken* stop);
    torch::Tensor sampleSinglestep(torch::Tensor x, int steps, bool fixedOrder, const SolverStepCallback& onStep,
                                   const StopToken* stop);
    torch::Tensor sampleAdaptive(torch::Tensor x, const SolverStepCallback& onStep, const StopToken* stop);
};

}  // namespace ds::diffusion
