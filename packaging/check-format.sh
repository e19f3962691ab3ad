#!/usr/bin/env bash
# Diffusion Studio - the one C++ style (.clang-format, CONTRIBUTING.md#style), and the license
# line every source file's leading comment carries.
#
#   packaging/check-format.sh         list the sources clang-format would change, and the files
#                                     without the SPDX line; fail if any
#   packaging/check-format.sh --fix   format the C++ sources in place
#
# The test suite runs the check (CTest's `format`). clang-format 14 (Debian 12's) is the reference:
# other versions break some lines differently.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $clang_format ]]; then
  echo "check-format: clang-format is not installed (packaging/install-deps.sh installs it)" >&2
  exit 1
fi
if ! "$clang_format" --version | grep -q 'version 14\.'; then
  echo "check-format: note: $("$clang_format" --version) is not clang-format 14; its line breaks may differ" >&2
fi

# The project's own sources: tracked files in a git checkout, else the source folders.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- 'app/*.cpp' 'app/*.h' 'core/*.cpp' 'core/*.h' 'ui/*.cpp' 'ui/*.h' \
                                       'tests/*.cpp' 'tests/*.h')
else
  mapfile -t files < <(find app core ui tests -name '*.cpp' -o -name '*.h' | sort)
fi

if [[ ${1:-} == --fix ]]; then
  "$clang_format" -i --style=file "${files[@]}"
  echo "check-format: formatted ${#files[@]} files"
  exit 0
fi

# The license line (SPDX) in the leading comment block of every source file and script: C++,
# CMake, shell and Python (after a #! line).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t licensed < <(git ls-files -- '*.cpp' '*.h' '*.py' '*.sh' '*.cmake' '*CMakeLists.txt' .ci/run |
                          grep -v '^tests/fixtures/')
else
  mapfile -t licensed < <(find . -path ./tests/fixtures -prune -o -path './build*' -prune -o \( -name '*.cpp' -o \
                          -name '*.h' -o -name '*.py' -o -name '*.sh' -o -name '*.cmake' -o -name CMakeLists.txt \) \
                          -print | sort)
fi
unlicensed=()
for f in "${licensed[@]}"; do
  [[ -f $f ]] || continue
  # The leading comment: the lines up to the first one that is neither a comment nor #!.
  if ! awk '/^(\/\/|#)/ { if ($0 ~ /SPDX-License-Identifier: GPL-3\.0-or-later/) found = 1; next } { exit }
            END { exit !found }' "$f"; then
    unlicensed+=("$f")
  fi
done
if ((${#unlicensed[@]} > 0)); then
  echo "check-format: ${#unlicensed[@]} files lack '// SPDX-License-Identifier: GPL-3.0-or-later' (or '# ...')" \
       "in their leading comment:" >&2
  printf '  %s\n' "${unlicensed[@]}" >&2
  exit 1
fi

unformatted=()
for f in "${files[@]}"; do
  [[ -f $f ]] || continue
  if ! "$clang_format" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then unformatted+=("$f"); fi
done
if ((${#unformatted[@]} > 0)); then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "run packaging/check-format.sh --fix (clang-format 14), or see the change with: $clang_format --style=file FILE | diff FILE -" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted, ${#licensed[@]} with the license line"
