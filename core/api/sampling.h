// Sampling a diffusion checkpoint: the job behind `diffusion-studio-cli sample`, the Generate
// page and the DDIM explorer. Torch-free interface.
#pragma once
#include "core/api/image.h"
#include "core/api/image_file.h"
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

struct SampleRequest {
    std::string checkpoint;
    int imageSize = 0;            // 0: from the checkpoint
    std::string sampler = "ddim"; // ddim | ddpm
    int steps = 0;                // DDIM steps (0: the checkpoint's sampling_timesteps, else 50); DDPM uses all
    double eta = 0.0;             // DDIM eta
    uint64_t seed = 0;
    int num = 16;
    int batchSize = 16;
    std::string weights = "ema";  // ema | online
    std::string objective;        // "": inferred from the checkpoint
    std::string device = "auto";
    std::string gridPath;         // one grid PNG of all samples
    int gridColumns = 0;          // 0: square-ish
    std::string outDir;           // N numbered PNGs
    std::string initNoisePath;    // a PyTorch file holding x_T (N, C, H, W)
    std::string saveTensorsPath;  // samples, x0_preds, xs
};

struct SampleResult {
    int images = 0;
    int steps = 0;
    double seconds = 0.0;
    Image grid;                      // the grid of all samples (always made)
    ImageMetadata gridMetadata;      // what a saved grid carries (see DESIGN.md)
    std::vector<std::string> files;  // everything written
};

// Throws ds::Error for bad input (naming the file), ds::Cancelled when stopped. Files are
// written atomically; a cancelled run leaves only complete files.
SampleResult runSampling(const SampleRequest& request, JobSink& sink, const StopToken& stop);

}  // namespace ds::api
