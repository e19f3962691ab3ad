#!/usr/bin/env bash
# Diffusion Studio - one entry point to set up, build and run the app or the test suite, or package it.
#
#   packaging/build.sh app  [ARGS...]   install missing packages, build, open the desktop app
#   packaging/build.sh test [ARGS...]   install missing packages, build, run the whole test suite
#                                       (ARGS go to ctest, e.g. -R main_window)
#   packaging/build.sh deb              install missing packages, build, make the Debian package
#                                       build/diffusion-studio_<version>_<arch>.deb (CPack)
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
cd "$repo_root"

build_dir=build

usage() {
  sed -n '2,9p' "$script_dir/build.sh" | sed 's/^# \{0,1\}//'
}

step() {
  printf '\n==> %s\n' "$*"
}

jobs=$(nproc 2>/dev/null || echo 2)

# The test command builds with -Werror (CI runs it): a new warning fails there, not later.
cmake_extra=()

setup_and_build() {
  step "Checking system packages"
  "$script_dir/install-deps.sh"

  step "Setting up ccache"
  export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/tmp}/.cache/ccache}"
  # Paths relative to the checkout: clones in other folders (CI) reuse each other's objects.
  export CCACHE_BASEDIR="$repo_root"
  mkdir -p "$CCACHE_DIR"
  ccache --max-size=5G >/dev/null
  echo "ccache: $CCACHE_DIR (max 5G)"

  if [[ -f $build_dir/CMakeCache.txt ]] &&
     ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
    echo "build.sh: $repo_root/$build_dir was configured with another generator than Ninja." >&2
    echo "Remove it (rm -rf $build_dir) and run this again." >&2
    exit 1
  fi

  step "Configuring (Release, Ninja) into $build_dir/"
  # GUI and tests are switched on explicitly: a build/ configured earlier without them keeps
  # its cached options otherwise.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDS_BUILD_GUI=ON -DDS_BUILD_TESTS=ON "${cmake_extra[@]}"

  step "Building with $jobs jobs"
  cmake --build "$build_dir" -j"$jobs"
}

if (($# == 0)); then
  usage >&2
  exit 2
fi

command=$1
shift

case $command in
  app)
    setup_and_build
    step "Starting build/app/diffusion-studio"
    if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} && -z ${QT_QPA_PLATFORM:-} ]]; then
      echo "note: no DISPLAY or WAYLAND_DISPLAY is set; the window needs a desktop session." >&2
    fi
    exec "$build_dir/app/diffusion-studio" "$@"
    ;;
  test)
    cmake_extra=(-DDS_WERROR=ON)
    setup_and_build
    step "Running the test suite"
    export QT_QPA_PLATFORM=offscreen
    exec ctest --test-dir "$build_dir" --output-on-failure -j"${CTEST_PARALLEL_LEVEL:-2}" "$@"
    ;;
  deb)
    if (($# > 0)); then
      echo "build.sh: 'deb' takes no arguments" >&2
      exit 2
    fi
    setup_and_build
    step "Packaging with CPack (DEB)"
    (cd "$build_dir" && cpack -G DEB)
    deb=$(ls -t "$build_dir"/diffusion-studio_*.deb | head -n 1)
    step "Built $deb"
    dpkg-deb --field "$deb" Package Version Architecture Depends Recommends
    echo "Install it with:  sudo apt install ./$deb"
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    echo "build.sh: unknown command '$command'" >&2
    usage >&2
    exit 2
    ;;
esac
