#!/usr/bin/env bash
# Runs the dual-core board (QEMU mps2-an521, two Cortex-M33: CPU0 the CM7
# role, CPU1 the CM4 role, amp::ShmLink in shared SRAM, MHU doorbell) and
# checks each run. Usage: test-dualcore.sh BUILD_DIR   (the m33 preset: build/m33)
#
# Runs (from BUILD_DIR/target/an521/dualcore-images.txt):
#   - the board image, expected to pass, twice: with QEMU's multi-threaded TCG
#     (its default: the two cores run in parallel on two host threads) and
#     single-threaded (round robin: another, deterministic interleaving).
#     Passing means exit status 0, the closing "amp-an521: PASS" line and
#     both cores' summaries with no errors.
#   - tests of the test, expected to fail, each for its own reason: a
#     non-zero exit status, no PASS, and a line naming the reason:
#       broken doorbell (ring() does nothing): "no progress ... while binding"
#       (the watchdog stops the run after 5 s);
#       corrupted stream (one bit flipped): "CM4 stream integrity error".
# Environment: AMP_QEMU_TIMEOUT (seconds per run, default 120).
set -uo pipefail

build=${1:?usage: test-dualcore.sh BUILD_DIR}
timeout_s=${AMP_QEMU_TIMEOUT:-120}
list="$build/target/an521/dualcore-images.txt"
if [ ! -f "$list" ]; then
  echo "test-dualcore: $build is not a configured Cortex-M33 build (cmake --preset m33)" >&2
  exit 2
fi

passed=0
failed=0
summary=()

# run EXPECT IMAGE TCG_THREAD [REASON_REGEX]
run() {
  local expect=$1 image=$2 tcg=$3 reason=${4:-}
  local name log start rc secs verdict
  name="$(basename "$image" .elf) (tcg $tcg)"
  echo "==== $name, expected to $expect"
  log=$(mktemp)
  start=$(date +%s.%N)
  # Semihosting output to stdout through a chardev; stdin is not the board's.
  timeout "$timeout_s" qemu-system-arm -machine mps2-an521 -accel "tcg,thread=$tcg" \
    -display none -monitor none -serial none \
    -chardev stdio,id=sh0 -semihosting-config enable=on,target=native,chardev=sh0 \
    -kernel "$image" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
  local pass_line
  pass_line=$(grep -E '^amp-an521: PASS: ' "$log" | tail -n 1)
  local summaries
  summaries=$(grep -cE '^CM[74] summary: sent [0-9]+, received [0-9]+, errors 0(,|$)' "$log")
  local reason_line=""
  [ -z "$reason" ] || reason_line=$(grep -E -m 1 -- "$reason" "$log")
  rm -f "$log"

  if [ "$expect" = pass ]; then
    if [ "$rc" -eq 124 ]; then
      verdict="FAILED: timeout after ${timeout_s}s"
    elif [ "$rc" -ne 0 ]; then
      verdict="FAILED: exit status $rc"
    elif [ -z "$pass_line" ]; then
      verdict="FAILED: no 'amp-an521: PASS' line"
    elif [ "$summaries" -ne 2 ]; then
      verdict="FAILED: missing or erroneous CM7/CM4 summary"
    else
      verdict="ok: ${pass_line#amp-an521: PASS: }"
    fi
  else
    if [ -n "$pass_line" ] || [ "$rc" -eq 0 ]; then
      verdict="FAILED: passed although it must fail (exit status $rc)"
    elif [ -z "$reason_line" ]; then
      verdict="FAILED: failed (exit status $rc), but not with /$reason/"
    else
      verdict="ok: failed as it must (exit status $rc): ${reason_line#*<err> }"
    fi
  fi
  if [ "${verdict%%:*}" = ok ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  summary+=("$(printf '%-44s %6ss  %s' "$name" "$secs" "$verdict")")
}

while read -r expect image reason; do
  [ -n "$image" ] || continue
  if [ "$expect" = pass ]; then
    run pass "$image" multi
    run pass "$image" single
  else
    run fail "$image" multi "$reason"
  fi
done <"$list"

echo "==== dual-core test summary"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
