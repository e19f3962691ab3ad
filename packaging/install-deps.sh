#!/usr/bin/env bash
# Diffusion Studio - installs the Debian 12 (bookworm) packages needed to build, run and test it.
# Idempotent: checks every package with dpkg-query and installs only the missing ones.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
  # tool chain
  build-essential cmake ninja-build ccache pkg-config
  # the one C++ style: the test suite checks it (packaging/check-format.sh)
  clang-format
  # Qt 6 (Charts needs libqt6opengl6-dev to be found by CMake)
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  # the engine
  libtorch-dev libopenblas0-pthread libopencv-dev liblmdb-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev
  # exact minibatch optimal transport (OT-CFM): LEMON's network simplex, header-only
  liblemon-dev
  # multi-process training: LibTorch's c10d ProcessGroupGloo needs Gloo's headers and library
  libgloo-dev
  # the app at run time: the SVG image plugin that draws the window icon
  libqt6svg6
  # tests: a data set, Python's torch to open the files we write, a virtual X server,
  # the validators of the .desktop and AppStream files
  dataset-fashion-mnist python3-torch python3-numpy xvfb desktop-file-utils appstream
  # the Debian package (build.sh deb): dpkg-shlibdeps computes its dependencies, file finds the ELFs
  dpkg-dev file
)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: dpkg-query/apt-get not found. This script is for Debian 12 (bookworm);" >&2
  echo "install the equivalents of these packages by hand: ${packages[*]}" >&2
  exit 1
fi

# One dpkg-query call for all of them; unknown packages print nothing (and an error we drop).
declare -A installed=()
while read -r name status; do
  if [[ $status == installed ]]; then installed[$name]=1; fi
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for pkg in "${packages[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed."
  exit 0
fi

echo "install-deps: missing ${#missing[@]} package(s): ${missing[*]}"

if [[ $(id -u) -eq 0 ]]; then
  as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
  echo "install-deps: installing packages needs root, and sudo is not available." >&2
  echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

fail() {
  echo "install-deps: '$*' failed. Install the missing packages as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
}

"${as_root[@]}" apt-get update || fail apt-get update
"${as_root[@]}" apt-get install -y "${missing[@]}" || fail apt-get install
echo "install-deps: done."
