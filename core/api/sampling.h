// SPDX-License-Identifier: GPL-3.0-or-later
// Sampling a checkpoint: the job behind `diffusion-studio-cli sample`, the Generate page and the
// explorer. Diffusion checkpoints run DDPM, DDIM or a training-free ODE solver (DPM-Solver,
// DPM-Solver++, UniPC); flow-matching checkpoints (g4vrel/CFM's
// U-Net, torchcfm's UNetModel, ours) integrate the ODE from noise (t = 0) to data (t = 1) with the chosen solver; the
// kind is read from the file. Torch-free interface.
#pragma once
#include "core/api/diffusion_solver.h"
#include "core/api/image.h"
#include "core/api/image_file.h"
#include "core/api/job_sink.h"
#include "core/api/model_choices.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ds::api {

// What a class-conditional checkpoint samples: which class each image is, and how strongly
// classifier-free guidance pushes towards it. An error for an unconditional checkpoint.
struct ClassConditioning {
    std::vector<int> classes;  // image i is classes[i mod size]; empty: every class in turn
    std::string className;     // one recorded class name, for every image (--class-name)
    // W: 1 is the conditional model alone. NaN: the reference's default, lucidrains' sample()
    // for its classifier-free guidance models (6, with rescaled_phi 0.7).
    double condScale = std::numeric_limits<double>::quiet_NaN();
    double rescaledPhi = std::numeric_limits<double>::quiet_NaN();  // NaN: as condScale
    bool removeParallelComponent = true;                            // lucidrains' forward_with_cond_scale options
    double keepParallelFrac = 0.0;
    bool cfgPlusPlus = false;  // CFG++ (DDPM and DDIM)
    // One row per class: rows = the classes, columns = seeds (max(1, num / classes) of them), the
    // same x_T down each column, so a column shows one starting point under every class.
    bool rowPerClass = false;

    bool given() const {
        return !classes.empty() || !className.empty() || condScale == condScale || rescaledPhi == rescaledPhi ||
               !removeParallelComponent || keepParallelFrac != 0.0 || cfgPlusPlus || rowPerClass;
    }
};

struct SampleRequest {
    std::string checkpoint;
    int imageSize = 0;  // 0: from the checkpoint
    DiffusionSampler sampler = DiffusionSampler::Ddim;
    // DDIM steps (0: the checkpoint's sampling_timesteps, else 50); ODE solvers: evaluations
    // (0: 20, the references' default); DDPM uses all timesteps.
    int steps = 0;
    double eta = 0.0;             // DDIM eta
    SolverOptions solverOptions;  // DPM-Solver(++), UniPC
    uint64_t seed = 0;
    int num = 16;
    int batchSize = 16;
    Weights weights = Weights::Ema;
    std::string objective;  // "": inferred from the checkpoint
    std::string device = "auto";
    std::string gridPath;            // one grid PNG of all samples
    int gridColumns = 0;             // 0: square-ish
    std::string outDir;              // N numbered PNGs
    std::string initNoisePath;       // a PyTorch file holding x_T (N, C, H, W)
    std::string saveTensorsPath;     // diffusion: samples, x0_preds, xs; flow: samples, trajectory, times, nfe
    ClassConditioning conditioning;  // class-conditional checkpoints

    // Flow matching only (an error when given for a diffusion checkpoint, except `steps`).
    std::string solver;  // euler | midpoint | rk4 | rk4-38 | dopri5 ("": dopri5, g4vrel/CFM's)
    // `steps` above: fixed-grid steps (0: 50, or the --times grid when times are given).
    double atol = 1e-5;  // dopri5 tolerances (g4vrel/CFM's; the adaptive DPM-Solver's are in solverOptions)
    double rtol = 1e-5;
    std::vector<double> times;  // where to record the trajectory (increasing, in [0, 1]);
                                // empty: the grid points, or dopri5's accepted steps
    int groups = 0;             // GroupNorm groups of g4vrel/CFM's U-Net (0: recorded, else 32)
    // torchcfm's UNetModel, whose files do not record them (0 / "": 64 channels per head, the
    // legacy order, as torchcfm's CIFAR-10 recipe). heads / headChannels also split the middle
    // attention of lucidrains' class-conditional Unet (0: its default 4 x 32).
    int heads = 0;               // attention heads (num_heads)
    int headChannels = 0;        // channels per attention head (num_head_channels; wins over heads)
    std::string attentionOrder;  // legacy | new
};

struct SampleResult {
    int images = 0;
    int steps = 0;    // diffusion: steps of a batch (the adaptive method: of the first); flows: solver steps (accepted,
                      // all batches)
    int64_t nfe = 0;  // network evaluations over all batches
    double straightness = 0.0;  // flows: mean path length / end-to-end distance of the images (1: straight)
    double seconds = 0.0;
    Image grid;                      // the grid of all samples (always made)
    ImageMetadata gridMetadata;      // what a saved grid carries (see docs/architecture.md)
    std::vector<std::string> files;  // everything written
};

// Throws ds::Error for bad input (naming the file), ds::Cancelled when stopped. Files are
// written atomically; a cancelled run leaves only complete files.
SampleResult runSampling(const SampleRequest& request, JobSink& sink, const StopToken& stop);

}  // namespace ds::api
