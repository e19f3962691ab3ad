#!/usr/bin/env bash
# Runs every numerical test (CTest label "numerical") under each kernel family LibTorch and
# oneDNN can be forced to on this machine, and prints, per test, the largest error seen against
# its tolerance (from the "tolerance: NAME error=E tol=T" lines the tests print).
#
#   tests/kernel_matrix.sh [BUILD_DIR]        (default: build)
#
# KERNEL_MATRIX_LOGS=DIR keeps each run's output there (TEST.FAMILY.log), for a table per check.
#
# Families: ATEN_CPU_CAPABILITY=default|avx2|avx512 (with oneDNN unrestricted), and
# ONEDNN_MAX_CPU_ISA (DNNL_MAX_CPU_ISA in oneDNN 2.6) = SSE41|AVX2|AVX512_CORE (with ATen's best).
# A family this CPU cannot run (AVX-512 on a CPU without it) is reported, not failed. Exits 1
# when a test fails under any family. Also run by `ctest -C KernelMatrix -L kernels`.
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

build=${1:-build}
tests_dir=$build/tests
if [[ ! -d $tests_dir ]]; then
  echo "kernel_matrix: $tests_dir not found; build first (packaging/build.sh test)" >&2
  exit 2
fi
export QT_QPA_PLATFORM=offscreen

# The numerical tests, as CTest labels them.
mapfile -t tests < <(ctest --test-dir "$build" -N -L '^numerical$' | sed -n 's/^ *Test *#[0-9]*: *//p')
if ((${#tests[@]} == 0)); then
  echo "kernel_matrix: no test carries the label 'numerical' in $build" >&2
  exit 2
fi

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }

# name|environment|why it cannot run here ("" when it can)
families=(
  "aten=default|ATEN_CPU_CAPABILITY=default|"
  "aten=avx2|ATEN_CPU_CAPABILITY=avx2|$(has avx2 || echo 'the CPU has no AVX2')"
  "aten=avx512|ATEN_CPU_CAPABILITY=avx512|$(has avx512f && has avx512bw && has avx512vl && has avx512dq || echo 'the CPU has no AVX-512')"
  "onednn=SSE41|ONEDNN_MAX_CPU_ISA=SSE41 DNNL_MAX_CPU_ISA=SSE41|"
  "onednn=AVX2|ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2|$(has avx2 || echo 'the CPU has no AVX2')"
  "onednn=AVX512_CORE|ONEDNN_MAX_CPU_ISA=AVX512_CORE DNNL_MAX_CPU_ISA=AVX512_CORE|$(has avx512f && has avx512bw && has avx512vl && has avx512dq || echo 'the CPU has no AVX-512 (the same as unrestricted here)')"
)

if [[ -n ${KERNEL_MATRIX_LOGS:-} ]]; then
  log_dir=$KERNEL_MATRIX_LOGS
  mkdir -p "$log_dir"
else
  log_dir=$(mktemp -d)
  trap 'rm -rf "$log_dir"' EXIT
fi
failed=0
declare -A worst worst_name   # test -> largest error/tolerance over all families, and where
declare -A margin margin_name # test -> smallest (negative control's miss)/(what it must exceed)

printf '%-22s %-34s %8s  %s\n' family test seconds result
for family in "${families[@]}"; do
  IFS='|' read -r name env why <<<"$family"
  if [[ -n $why ]]; then
    printf '%-22s %-34s %8s  %s\n' "$name" '(all)' - "not run: $why"
    continue
  fi
  for t in "${tests[@]}"; do
    exe=$tests_dir/$t
    [[ -x $exe ]] || { printf '%-22s %-34s %8s  %s\n' "$name" "$t" - 'missing executable'; failed=1; continue; }
    log=$log_dir/$t.$name.log
    start=$(date +%s)
    # shellcheck disable=SC2086  # env holds NAME=VALUE words
    (cd "$tests_dir" && env $env timeout 900 "./$t") >"$log" 2>&1
    rc=$?
    seconds=$(($(date +%s) - start))
    result=passed
    ((rc == 0)) || { result="FAILED (exit $rc; log: see below)"; failed=1; cat "$log" | grep -E 'FAIL!|Loc:' | head -6; }
    printf '%-22s %-34s %8s  %s\n' "$name" "$t" "$seconds" "$result"
    # The largest error relative to its tolerance in this run.
    while read -r ratio what; do
      if [[ -z ${worst[$t]:-} ]] || awk -v a="$ratio" -v b="${worst[$t]}" 'BEGIN { exit !(a > b) }'; then
        worst[$t]=$ratio
        worst_name[$t]="$what ($name)"
      fi
    done < <(sed -n 's/.*tolerance: \([^ ]*\) error=\([^ ]*\) tol=\([^ ]*\).*/\1 \2 \3/p' "$log" |
             awk '$3 > 0 { printf "%.4g %s error=%s tol=%s\n", $2 / $3, $1, $2, $3 } $3 == 0 && $2 == 0 { printf "0 %s exact\n", $1 }')
    # The negative control that missed by the smallest margin in this run.
    while read -r ratio what; do
      if [[ -z ${margin[$t]:-} ]] || awk -v a="$ratio" -v b="${margin[$t]}" 'BEGIN { exit !(a < b) }'; then
        margin[$t]=$ratio
        margin_name[$t]="$what ($name)"
      fi
    done < <(sed -n 's/.*negative control: \(.*\) error=\([^ ]*\) must exceed \([^ ]*\).*/\2 \3 \1/p' "$log" |
             awk '$2 > 0 { e = $1; x = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); printf "%.4g %s\n", e / x, $0 }')
  done
done

echo
echo "Largest error against its tolerance, per test (over every family run):"
printf '%-34s %10s  %s\n' test error/tol comparison
for t in "${tests[@]}"; do
  printf '%-34s %10s  %s\n' "$t" "${worst[$t]:--}" "${worst_name[$t]:-(prints no tolerance lines)}"
done
echo
echo "Smallest margin of a negative control, per test (its miss over what it must exceed; > 1 passes):"
printf '%-34s %10s  %s\n' test margin control
for t in "${tests[@]}"; do
  printf '%-34s %10s  %s\n' "$t" "${margin[$t]:--}" "${margin_name[$t]:-(no negative control)}"
done
exit $failed
