#!/usr/bin/env bash
# Takes the screenshots of README.md and docs/app.md of the real app under Xvfb (packages xvfb, imagemagick, xdotool).
#
#   docs/take-screenshots.sh RUN_DIR CHECKPOINT
#
# RUN_DIR: a training run (e.g. `diffusion-studio-cli train --steps 600 --sample-every 50`);
# CHECKPOINT: a checkpoint of it. Settings go to a temporary HOME, so yours are untouched.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

run_dir=$(realpath "$1")
checkpoint=$(realpath "$2")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app="$repo/build/app/diffusion-studio"
out="$repo/docs/images"
mkdir -p "$out"

export HOME=$(mktemp -d)
export DISPLAY=:97
Xvfb "$DISPLAY" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true; rm -rf "$HOME"' EXIT
sleep 1

# The pages' fields, as a person would have left them.
mkdir -p "$HOME/.config/DiffusionStudio"
cat > "$HOME/.config/DiffusionStudio/Diffusion Studio.conf" <<CONF
[mainWindow]
page=0

[explorer]
A\checkpoint=$checkpoint
A\sampler=ddim
A\steps=50
A\eta=0
B\checkpoint=$checkpoint
B\sampler=dpm-solver++
B\steps=10
B\order=2

[trajectory]
mode=toy
count=4
points=256
config0\path=otcfm
config0\solver=euler
config0\steps=6
config1\path=icfm
config1\solver=euler
config1\steps=6
config2\path=otcfm
config2\solver=dopri5
config2\tolerance=0.0001
config3\path=icfm
config3\solver=dopri5
config3\tolerance=0.0001
CONF

window_of() { xdotool search --sync --onlyvisible --name "Diffusion Studio" | head -1; }

# shot NAME: the main window as a PNG.
shot() {
  import -window "$(window_of)" "$out/$1"
  echo "$out/$1"
}

# click X Y: relative to the main window.
click() {
  xdotool mousemove --window "$(window_of)" "$1" "$2" click 1
}

start_app() {
  "$app" "$@" >/dev/null 2>&1 &
  app_pid=$!
  window_of >/dev/null
  xdotool windowmove "$(window_of)" 0 0 windowsize "$(window_of)" 1400 880
  sleep 2
}

stop_app() {
  kill "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
}

case ${3:-all} in
  train | all)
    start_app "$run_dir"
    sleep 3
    shot app-train.png
    stop_app
    ;;&
  explorer | all)
    start_app "$checkpoint"
    click "${STEPS_TAB_X:-211}" "${STEPS_TAB_Y:-70}"
    "${CLICK_COMPARE:-true}" && click "${COMPARE_X:-621}" "${COMPARE_Y:-38}"
    click "${RUN_X:-466}" "${RUN_Y:-38}"
    sleep "${EXPLORER_SECONDS:-25}"
    shot app-explorer.png
    stop_app
    ;;&
  generate | all)
    start_app "$checkpoint"
    click "${GENERATE_X:-60}" "${GENERATE_Y:-130}"
    sleep 1
    click "${PREVIEW_X:-120}" "${PREVIEW_Y:-400}"
    sleep "${GENERATE_SECONDS:-30}"
    shot app-generate.png
    stop_app
    ;;&
  trajectory | all)
    start_app
    click "${TRAJECTORY_X:-60}" "${TRAJECTORY_Y:-190}"
    sleep 1
    click "${TRAJECTORY_RUN_X:-222}" "${TRAJECTORY_RUN_Y:-137}"
    sleep "${TRAJECTORY_SECONDS:-30}"
    shot app-trajectory.png
    click "${SWEEP_X:-310}" "${SWEEP_Y:-137}"
    sleep "${SWEEP_SECONDS:-20}"
    shot app-nfe-quality.png
    stop_app
    ;;&
  train-conditional)
    # RUN_DIR a class-conditional run: the box checked, the previews one row per class.
    start_app "$run_dir"
    sleep 3
    shot app-train-conditional.png
    stop_app
    ;;
  generate-rows)
    # A class-conditional checkpoint (CONDITIONAL_CHECKPOINT, e.g. `train --preset tiny
    # --conditional`): one row per class, the same x_T down each column, at guidance W.
    cat > "$HOME/.config/DiffusionStudio/Diffusion Studio.conf" <<CONF
[mainWindow]
page=2

[generate]
checkpoint=${CONDITIONAL_CHECKPOINT:?set CONDITIONAL_CHECKPOINT}
rows=10
columns=8
seed=0
sampler=dpm-solver++
steps=20
class=-2
condScale=${GUIDANCE:-4}
rescaledPhi=0
CONF
    start_app
    click "${PREVIEW_X:-320}" "${PREVIEW_Y:-420}"
    sleep "${GENERATE_SECONDS:-30}"
    shot app-generate-rows.png
    stop_app
    ;;
  trajectory-guided | all)
    # The labelled 8 Gaussians: every particle steered to class 2 with guidance 2.
    cat > "$HOME/.config/DiffusionStudio/Diffusion Studio.conf" <<CONF
[mainWindow]
page=4

[trajectory]
mode=toy
source=8gaussians
target=8gaussians-classes
class=2
guidance=2
count=2
points=256
config0\path=otcfm
config0\solver=euler
config0\steps=20
config1\path=icfm
config1\solver=euler
config1\steps=20
CONF
    start_app
    click "${TRAJECTORY_RUN_X:-222}" "${TRAJECTORY_RUN_Y:-137}"
    sleep "${TRAJECTORY_SECONDS:-30}"
    shot app-trajectories-guided.png
    stop_app
    ;;
esac
