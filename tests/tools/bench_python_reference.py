#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python side of the benchmark comparison: the same Unet(dim=32, dim_mults=(1,2,4),
channels=1) at 32x32 on the same (Debian) LibTorch, through the Python restatement of lucidrains
2.1.1 in make_lucidrains_variants.py (which reproduces the real package's outputs). Run it
alternately with `diffusion-studio-cli bench ...`: the machine is noisy.

    /usr/bin/python3 tests/tools/bench_python_reference.py train        # images/s, batch 32
    /usr/bin/python3 tests/tools/bench_python_reference.py ddim [STEPS]  # s/image, batch 64
    /usr/bin/python3 tests/tools/bench_python_reference.py dpm [STEPS] [DPM_SOLVER_PY]
        # DPM-Solver++ 2M (multistep, order 2, time-uniform), batch 64, with LuChengTHU/dpm-solver's
        # own dpm_solver_pytorch.py (default /tmp/refcode/dpm_solver_pytorch.py, see
        # make_fast_sampler_fixtures.py for how to extract it)
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_lucidrains_variants import GaussianDiffusion, Unet  # noqa: E402


def model():
    torch.manual_seed(0)
    return GaussianDiffusion(Unet(32, dim_mults=(1, 2, 4), channels=1), 32)


def bench_train(batch=32, repeats=5):
    gd = model()
    opt = torch.optim.Adam(gd.parameters(), lr=1e-4, betas=(0.9, 0.99))
    x = torch.rand(batch, 1, 32, 32) * 2 - 1

    def step():
        opt.zero_grad()
        loss = gd.p_losses(x, torch.randint(0, 1000, (batch,)), torch.randn_like(x))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gd.parameters(), 1.0)
        opt.step()

    step()
    times = []
    for _ in range(repeats):
        t0 = time.time()
        step()
        times.append(time.time() - t0)
    mean = sum(times) / len(times)
    print(f"train, batch {batch}: {batch / mean:.1f} images/s (mean of {repeats}), {batch / min(times):.1f} best")


def bench_ddim(steps=50, batch=64):
    gd = model().eval()
    x = torch.randn(batch, 1, 32, 32)
    with torch.inference_mode():
        gd.model(x, torch.zeros(batch, dtype=torch.long))
        t0 = time.time()
        gd.ddim(x, steps)
        dt = time.time() - t0
    print(f"DDIM-{steps}, batch {batch}: {dt:.2f} s, {dt / batch:.3f} s/image")


def bench_dpm(steps=20, path="/tmp/refcode/dpm_solver_pytorch.py", batch=64):
    import importlib.util
    spec = importlib.util.spec_from_file_location("dpm_solver_pytorch", path)
    dpm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dpm)
    gd = model().eval()
    ns = dpm.NoiseScheduleVP("discrete", alphas_cumprod=gd.alphas_cumprod.float())
    # The objective of the bench model (lucidrains' default, pred_v), the Unet as it is.
    fn = dpm.model_wrapper(lambda x, t: gd.model(x, t), ns, model_type="v", guidance_type="uncond")
    solver = dpm.DPM_Solver(fn, ns, algorithm_type="dpmsolver++")
    x = torch.randn(batch, 1, 32, 32)
    with torch.inference_mode():
        gd.model(x, torch.zeros(batch))
        t0 = time.time()
        solver.sample(x, steps=steps, order=2, skip_type="time_uniform", method="multistep")
        dt = time.time() - t0
    print(f"DPM-Solver++ 2M-{steps}, batch {batch}: {dt:.2f} s, {dt / batch:.3f} s/image")


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    what = sys.argv[1] if len(sys.argv) > 1 else "train"
    if what == "train":
        bench_train()
    elif what == "dpm":
        bench_dpm(int(sys.argv[2]) if len(sys.argv) > 2 else 20, *sys.argv[3:4])
    else:
        bench_ddim(int(sys.argv[2]) if len(sys.argv) > 2 else 50)
