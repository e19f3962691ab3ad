// SPDX-License-Identifier: GPL-3.0-or-later
// Options of the weight EMA (ema_pytorch's names and lucidrains Trainer's defaults).
#pragma once

namespace ds::train {

struct EmaConfig {
    double beta = 0.995;   // lucidrains Trainer's ema_decay
    int updateEvery = 10;  // Trainer's ema_update_every
    int updateAfterStep = 100;
    double invGamma = 1.0;
    double power = 2.0 / 3.0;
    double minValue = 0.0;
};

}  // namespace ds::train
