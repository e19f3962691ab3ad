// SPDX-License-Identifier: GPL-3.0-or-later
// The training jobs started from a whole run configuration: the command line's `train` and the
// tests build configurations a form cannot say (precision, accumulation, loader threads...). The
// app starts them from a form (core/api/training.h), which becomes such a configuration here.
#pragma once
#include "core/api/training.h"
#include "core/train/train_config.h"

namespace ds::api {

// A new run in runDir (created; refused when it already holds a run). While `pause` is closed
// the job waits between steps; a stop request saves a checkpoint and returns.
// dist (optional, with env.present): this process is one rank of a data-parallel run; rank 0
// creates and writes the run directory, config.batchSize is per process, and the run records
// the world size and global batch.
TrainResult startTraining(const train::TrainConfig& config, const std::string& runDir, JobSink& sink,
                          const StopToken& stop, const PauseGate* pause = nullptr,
                          const DistributedRun* dist = nullptr);
// `nproc` local processes of a data-parallel run (see core/api/training.h).
TrainResult startTrainingProcesses(const train::TrainConfig& config, const std::string& runDir,
                                   const TrainingProcesses& processes, JobSink& sink, const StopToken& stop);

// The form's fields over its base, validated (the form's functions in core/api/train_form.h
// use it).
train::TrainConfig trainConfigOf(const TrainForm& form);

}  // namespace ds::api
