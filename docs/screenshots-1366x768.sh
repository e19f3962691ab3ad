#!/usr/bin/env bash
# Screenshots of every page at a 1366x768 screen (the common laptop size) under Xvfb, as a
# first-time user opens the app: the window must open within the screen and every page's primary
# actions must be visible without scrolling. Writes docs/images/screen-1366x768-<page>.png.
#
#   docs/screenshots-1366x768.sh [CHECKPOINT]
#
# Packages: xvfb, xdotool, imagemagick. Settings go to a temporary HOME.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app="$repo/build/app/diffusion-studio"
out="$repo/docs/images"
checkpoint=${1:-$repo/tests/fixtures/ddpm_lucidrains_tiny/model-1.pt}
mkdir -p "$out"

export HOME=$(mktemp -d)
export DISPLAY=:96
Xvfb "$DISPLAY" -screen 0 1366x768x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true; rm -rf "$HOME"' EXIT
sleep 1

pages=(train explorer generate fid trajectory)
for i in "${!pages[@]}"; do
  mkdir -p "$HOME/.config/DiffusionStudio"
  printf '[mainWindow]\npage=%d\n\n[explorer]\nA\\checkpoint=%s\n' "$i" "$checkpoint" \
    >"$HOME/.config/DiffusionStudio/Diffusion Studio.conf"
  "$app" >/dev/null 2>&1 &
  pid=$!
  xdotool search --sync --onlyvisible --name "Diffusion Studio" >/dev/null
  sleep 2
  import -window root "$out/screen-1366x768-${pages[$i]}.png"
  echo "$out/screen-1366x768-${pages[$i]}.png"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
