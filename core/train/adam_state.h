// SPDX-License-Identifier: GPL-3.0-or-later
// LibTorch's Adam state <-> PyTorch's Adam state_dict layout ({state: {i: {step, exp_avg,
// exp_avg_sq}}, param_groups: [{lr, betas, eps, weight_decay, amsgrad, ..., params}]}), so our
// checkpoints' `opt` loads into a Python Adam and a resumed run continues bit for bit.
#pragma once
#include "core/io/py_value.h"

#include <torch/torch.h>

namespace ds::train {

io::PyValuePtr adamStateDict(torch::optim::Adam& optimizer);
// Throws ds::Error when the saved state does not fit the optimizer's parameters.
void loadAdamStateDict(torch::optim::Adam& optimizer, const io::PyValue& dict);

}  // namespace ds::train
