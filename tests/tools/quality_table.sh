#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# FD against NFE for a trained tiny run (docs/benchmarks.md): 2000 samples per sampler from WORK_DIR/run's last
# checkpoint, FD in the Fashion-MNIST classifier's features against fashion-mnist-test, with wall and CPU seconds.
# First: diffusion-studio-cli train --preset tiny --steps 1200 --run-dir WORK_DIR/run
# Records wall and CPU seconds of each sampling run and the load average around it.
#   tests/tools/quality_table.sh WORK_DIR [NAME...]   only the named rows (e.g. unipc-10-o3 ddim-50)
# THREADS (default 2): LibTorch threads of the sampling runs; 1 beside another busy process, where
# two OpenMP threads share a core with it and slow down many times.
set -e
CLI=${CLI:-build/app/diffusion-studio-cli}
Q=${1:?usage: quality_table.sh WORK_DIR (holding run/, the tiny run) [NAME...]}
shift
only=" $* "
THREADS=${THREADS:-2}
CLI=$(realpath "$CLI"); cd "$Q"
CK=$(ls run/checkpoints/step-*.pt | sort -t- -k2 -n | tail -1)
echo "checkpoint $CK"
configs=("dpm-solver++ 20" "dpm-solver++ 10" "unipc 10" "ddim 10" "ddim 20" "ddim 50" "ddim 100" "unipc 10 3" "dpm-solver++ 10 3" "ddpm 1000")
for c in "${configs[@]}"; do
  set -- $c
  s=$1; n=$2; o=${3:-}
  name=$s-$n${o:+-o$o}
  [ -f out/$name.json ] && continue
  [ "$only" != "  " ] && [[ $only != *" $name "* ]] && continue
  mkdir -p out
  rm -rf samples/$name
  extra=""; [ -n "$o" ] && extra="--order $o"
  [ $s = unipc ] && [ -z "$o" ] && extra="--order 2"
  l0=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %U %S" -o out/$name.time $CLI --threads $THREADS sample --checkpoint $CK --sampler $s --steps $n $extra --num 2000 --batch-size 250 --seed 0 --out-dir samples/$name > /dev/null 2> out/$name.sample.err
  l1=$(cut -d' ' -f1 /proc/loadavg)
  fd=$($CLI fid samples/$name fashion-mnist-test --features fashion-mnist --prdc --json 2> out/$name.fid.err)
  echo "$fd" > out/$name.fid.json
  read wall user sys < out/$name.time
  echo "{\"config\":\"$name\",\"checkpoint\":\"$CK\",\"threads\":$THREADS,\"wall\":$wall,\"user\":$user,\"sys\":$sys,\"load_before\":$l0,\"load_after\":$l1}" > out/$name.json
  cat out/$name.json
done
