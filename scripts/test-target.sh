#!/usr/bin/env bash
# Runs the test images of Cortex-M builds on QEMU (semihosting for output and
# exit status) and checks each run: exit status 0 and a closing line
# "N passed, 0 failed". Usage: test-target.sh BUILD_DIR... (e.g. build/cm7)
# Environment: AMP_QEMU_TIMEOUT (seconds per image, default 120).
set -uo pipefail

timeout_s=${AMP_QEMU_TIMEOUT:-120}
status=0
summary=()

cache_value() {  # cache_value BUILD_DIR NAME
  sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"
}

for build in "$@"; do
  machine=$(cache_value "$build" AMP_TARGET_QEMU_MACHINE)
  cpu=$(cache_value "$build" AMP_TARGET_CPU)
  list="$build/target/qemu-tests.txt"
  if [ -z "$machine" ] || [ ! -f "$list" ]; then
    echo "test-target: $build is not a configured Cortex-M build" >&2
    exit 2
  fi
  while read -r image; do
    [ -n "$image" ] || continue
    name=$(basename "$image" .elf)
    echo "==== $name on $cpu (qemu-system-arm -machine $machine)"
    log=$(mktemp)
    start=$(date +%s.%N)
    timeout "$timeout_s" qemu-system-arm -machine "$machine" -nographic -monitor none \
      -serial none -semihosting-config enable=on,target=native -kernel "$image" \
      2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
    closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    rm -f "$log"
    verdict=ok
    if [ "$rc" -eq 124 ]; then
      verdict="TIMEOUT after ${timeout_s}s"
    elif [ "$rc" -ne 0 ]; then
      verdict="FAILED (exit status $rc)"
    elif [ -z "$closing" ]; then
      verdict="FAILED (no 'N passed, N failed' line)"
    elif [ "${closing#* passed, }" != "0 failed" ]; then
      verdict="FAILED"
    fi
    [ "$verdict" = ok ] || status=1
    summary+=("$(printf '%-11s %-16s %-24s %6ss  %s' "$cpu" "$name" "${closing:-?}" "$secs" "$verdict")")
  done <"$list"
done

echo "==== target test summary"
printf '%s\n' "${summary[@]}"
exit $status
