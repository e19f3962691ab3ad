#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Classifier-free guidance on the tiny conditional Fashion-MNIST model (docs/benchmarks.md): at
# guidance W = 1, 2, 4, 2000 samples (200 per class, each class from the same 200 starting points),
# per-class FD in the Fashion-MNIST classifier's features against the test set's images of that
# class (fashion-mnist-test:K), overall FD against the whole test set, and the classifier's
# accuracy on the samples (`classify`: how often a sample is recognised as its class), with the
# sampling's wall and CPU seconds (guidance costs two network evaluations per step, batched as one).
# First: diffusion-studio-cli train --preset tiny --conditional --run-dir WORK_DIR/run
#   tests/tools/cfg_quality_table.sh WORK_DIR [SCALE...]     (default scales: 1 2 4)
# SAMPLER/STEPS (default ddim 50), THREADS (default 2), PER_CLASS (default 200).
set -e
CLI=${CLI:-build/app/diffusion-studio-cli}
Q=${1:?usage: cfg_quality_table.sh WORK_DIR (holding run/, the conditional tiny run) [SCALE...]}
shift
scales=${*:-1 2 4}
THREADS=${THREADS:-2}
SAMPLER=${SAMPLER:-ddim}
STEPS=${STEPS:-50}
PER_CLASS=${PER_CLASS:-200}
CLI=$(realpath "$CLI"); cd "$Q"
CK=$(ls run/checkpoints/step-*.pt | sort -t- -k2 -n | tail -1)
echo "checkpoint $CK"
mkdir -p out
for w in $scales; do
  name=w$w
  [ -f out/$name.json ] && continue
  rm -rf samples/$name
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S" -o out/$name.time sh -c "
    for k in 0 1 2 3 4 5 6 7 8 9; do
      $CLI --threads $THREADS sample --checkpoint $CK --sampler $SAMPLER --steps $STEPS --class \$k \
        --cond-scale $w --rescaled-phi 0 --num $PER_CLASS --batch-size 200 --seed 0 --out-dir samples/$name/\$k \
        > /dev/null 2>> out/$name.sample.err || exit 1
    done"
  mkdir -p samples/$name/all
  for k in 0 1 2 3 4 5 6 7 8 9; do
    for f in samples/$name/$k/*.png; do ln -sf "../$k/$(basename "$f")" "samples/$name/all/${k}_$(basename "$f")"; done
  done
  per=""
  for k in 0 1 2 3 4 5 6 7 8 9; do
    fd=$($CLI fid samples/$name/$k fashion-mnist-test:$k --features fashion-mnist --json 2>> out/$name.fid.err | \
         /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["distance"])')
    per="$per${per:+,}$fd"
  done
  overall=$($CLI fid samples/$name/all fashion-mnist-test --features fashion-mnist --prdc --json 2>> out/$name.fid.err)
  accuracy=$($CLI classify samples/$name/all --json 2>> out/$name.classify.err)
  read wall user sys < out/$name.time
  echo "{\"scale\":$w,\"sampler\":\"$SAMPLER\",\"steps\":$STEPS,\"checkpoint\":\"$CK\",\"threads\":$THREADS,\"wall\":$wall,\"user\":$user,\"sys\":$sys,\"per_class_fd\":[$per],\"overall\":$overall,\"classify\":$accuracy}" > out/$name.json
  /usr/bin/python3 -c "import json; j=json.load(open('out/$name.json')); print('W', j['scale'], 'overall FD', round(j['overall']['distance'], 2), 'accuracy', round(j['classify']['accuracy'], 4), 'per class', [round(x, 1) for x in j['per_class_fd']], 'wall', j['wall'])"
done
