// SPDX-License-Identifier: GPL-3.0-or-later
// What DPM-Solver(++) and UniPC share, ported from their reference code (LuChengTHU/dpm-solver's
// dpm_solver_pytorch.py, wl-zhao/UniPC's uni_pc.py): the model wrapper that turns a network's
// output (noise, x0 or v) into a noise prediction at continuous time t, the data prediction with
// its optional correction (clip, dynamic thresholding), the time grids, and the bookkeeping that
// reports each step with the data prediction the model made at its start. Tensors of times are
// float32 with one element, as in the references, so their arithmetic is the references'.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/diffusion/noise_schedule_vp.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <vector>

namespace ds::diffusion {

// What a network predicts (the references' model_type; lucidrains' objective).
enum class ModelOutput { Noise, XStart, V };

// network(x, tInput) -> its raw output, tInput the model time (B,) of NoiseScheduleVP::modelInputTime.
using NetworkFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& tInput)>;

// One solver step from time s to time t (continuous, 1/N..1).
struct SolverStep {
    int index = 0;
    int count = 0;  // steps of the run; 0 when not known ahead (the adaptive method)
    double s = 0.0;
    double t = 0.0;
    torch::Tensor x;   // the state at t
    torch::Tensor x0;  // the data prediction of the model at s (after the correction, if any)
};
using SolverStepCallback = std::function<void(const SolverStep&)>;

// Every network evaluation, in order: its time and the data prediction it implies (tests compare
// these with the reference's).
using EvaluationCallback = std::function<void(double t, const torch::Tensor& x0)>;

class DiffusionOdeSolver {
public:
    // predictX0: the solver works on data predictions (DPM-Solver++, UniPC's data_prediction);
    // else on noise predictions.
    DiffusionOdeSolver(NetworkFn network, ModelOutput output, const NoiseScheduleVP& schedule, bool predictX0,
                       const api::SolverOptions& options);
    virtual ~DiffusionOdeSolver() = default;

    // Integrates from x at t = 1 to t = 1/N (and to 0 with denoiseToZero).
    virtual torch::Tensor sample(const torch::Tensor& x, int steps, const SolverStepCallback& onStep = {},
                                 const StopToken* stop = nullptr) = 0;

    int64_t nfe() const { return nfe_; }
    void setEvaluationCallback(EvaluationCallback callback) { onEvaluation_ = std::move(callback); }
    const NoiseScheduleVP& schedule() const { return ns_; }

    // The references' get_time_steps: N + 1 times from tT down to t0.
    torch::Tensor timeSteps(api::StepSpacing spacing, double tT, double t0, int n) const;

protected:
    torch::Tensor noisePrediction(const torch::Tensor& x, const torch::Tensor& t);
    torch::Tensor dataPrediction(const torch::Tensor& x, const torch::Tensor& t);
    // model_fn: the data prediction or the noise prediction, as the solver works.
    torch::Tensor modelFn(const torch::Tensor& x, const torch::Tensor& t);

    // Step reporting: the x0 of the last evaluation at time s is the step's.
    void reportStep(const SolverStepCallback& onStep, int index, int count, const torch::Tensor& s,
                    const torch::Tensor& t, const torch::Tensor& x);
    // denoise_to_zero: the data prediction at t0 becomes the sample (one more evaluation).
    torch::Tensor denoiseToZero(const torch::Tensor& x, double t0, const SolverStepCallback& onStep, int index,
                                int count);

    const NoiseScheduleVP& ns_;
    const api::SolverOptions options_;
    const bool predictX0_;

private:
    torch::Tensor correctX0(const torch::Tensor& x0) const;
    void recordEvaluation(const torch::Tensor& t, const torch::Tensor& x0);

    NetworkFn network_;
    ModelOutput output_;
    int64_t nfe_ = 0;
    EvaluationCallback onEvaluation_;
    std::map<float, torch::Tensor> x0ByTime_;  // the latest data prediction at each time
};

// Broadcasts a (B,) tensor over the other dimensions of a tensor of `dims` dimensions.
torch::Tensor expandDims(const torch::Tensor& v, int64_t dims);

}  // namespace ds::diffusion
