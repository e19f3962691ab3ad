// SPDX-License-Identifier: GPL-3.0-or-later
// UniPC (Zhao et al. 2023), ported from wl-zhao/UniPC's uni_pc.py: the multistep unified
// predictor-corrector with the B(h) variants bh1 and bh2, on data predictions (UniPC) or
// noise predictions (its noise_prediction algorithm type). The corrector reuses the model
// evaluation at the predicted state, so each step costs one evaluation; the last step runs no
// corrector. lower_order_final applies at any number of steps (unlike DPM-Solver's).
#pragma once
#include "core/diffusion/diffusion_ode_solver.h"

namespace ds::diffusion {

class UniPC : public DiffusionOdeSolver {
public:
    UniPC(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule, const api::SolverOptions& options);

    torch::Tensor sample(const torch::Tensor& x, int steps, const SolverStepCallback& onStep = {},
                         const StopToken* stop = nullptr) override;

private:
    struct Update {
        torch::Tensor x;
        torch::Tensor modelT;  // the evaluation at the predicted state (undefined without corrector)
    };
    Update bhUpdate(const torch::Tensor& x, const std::vector<torch::Tensor>& models,
                    const std::vector<torch::Tensor>& times, torch::Tensor t, int order, bool useCorrector);
};

}  // namespace ds::diffusion
