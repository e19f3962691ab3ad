#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Alternating: ours (bench sample: DDIM-50, DPM-Solver++ 2M 10/20, batch 64) and Python dpm_solver_pytorch (10, 20).
cd "$(dirname "$0")/../.."
for round in 1 2; do
  echo "== ours round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  ./build/app/diffusion-studio-cli bench sample --dpm-solver-steps 10,20 --ddpm-measured-steps 20 --no-flow 2>/dev/null
  for steps in 10 20; do
    echo "== python dpm $steps round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    /usr/bin/python3 tests/tools/bench_python_reference.py dpm $steps 2>&1 | tail -3
  done
  echo "== python ddim 50 round $round $(date +%T)"
  /usr/bin/python3 tests/tools/bench_python_reference.py ddim 50 2>&1 | tail -3
done
echo "== done $(date +%T)"
