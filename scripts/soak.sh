#!/usr/bin/env bash
# Soak test of the virtual board: the CM7 and the CM4, two amp-board processes
# over POSIX shared memory, exchange MESSAGES hellos each way, and every count
# both cores keep must agree.
#
#   scripts/soak.sh [MESSAGES]    default 10000000 (make soak); make soak-ci: 1000000
#
# "Each way" is literal: the CM7 sends MESSAGES hellos to the CM4 and the CM4
# answers each one, so each core sends MESSAGES and receives MESSAGES
# (2 x MESSAGES in total). It is the demo's exchange: one hello in flight at a
# time, each carrying its count and SOAK_SIZE bytes (default 64) of a pattern
# the receiver checks. Fails on any loss, error, drop, reset, fault, buffer not
# given back or counter that does not agree with the other core's.
# Environment: SOAK_SIZE, SOAK_BUILD_DIR (default build/soak, a Release
# build of its own), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000000}
size=${SOAK_SIZE:-64}
dir=${SOAK_BUILD_DIR:-build/soak}
jobs=${JOBS:-2}
[[ "$n" =~ ^[1-9][0-9]*$ && "$n" -lt 4000000000 ]] || { echo "soak: MESSAGES must be 1..3999999999, not '$n'" >&2; exit 2; }

cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMP_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j "$jobs" --target amp-board >/dev/null
board=$dir/bin/amp-board

shm="amp-soak-$$"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; rm -f "/dev/shm/$shm"' EXIT

echo "soak: $n messages each way ($((2 * n)) in all), $size-byte hellos, one in flight, $board"
start=$(date +%s%N)
set +e
# Shown live: every 10th progress line (one per 10 s) and anything the cores
# print but their counters (shown below).
"$board" run --shm "$shm" --count "$n" --size "$size" --quiet --stats 2>"$tmp/err" \
  | tee "$tmp/out" \
  | awk '/^CM[47] (summary|link|channel):/ { next } / progress: / { if (++p % 10 != 0) next } { print; fflush() }'
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s%N)
cat "$tmp/err" >&2

problems=()
problem() { problems+=("$*"); }
[ "$rc" -eq 0 ] || problem "amp-board run exited with status $rc"

# The role summaries: n each way, nothing else.
for core in CM7 CM4; do
  grep -qxF "$core summary: sent $n, received $n, errors 0, resets 0" "$tmp/out" \
    || problem "$core summary: $(grep "^$core summary:" "$tmp/out" || echo missing)"
done

# Link and channel counters of both cores.
declare -A ltx lrx ctx crx
for core in CM7 CM4; do
  line=$(grep "^$core link: " "$tmp/out" || true)
  re='^CM. link: buffers free ([0-9]+)/([0-9]+), tx ([0-9]+), rx ([0-9]+), no_buffer ([0-9]+), dropped ([0-9]+), faults ([0-9]+), resets ([0-9]+), stale ([0-9]+), sessions ([0-9]+), empty ([0-9]+),'
  if [[ "$line" =~ $re ]]; then
    m=("${BASH_REMATCH[@]}")
    [ "${m[1]}" -eq "${m[2]}" ] || problem "$core: ${m[1]} of ${m[2]} buffers free at the end"
    ltx[$core]=${m[3]}; lrx[$core]=${m[4]}
    [ "${m[6]}" -eq 0 ] || problem "$core link dropped ${m[6]} messages"
    [ "${m[7]}${m[8]}${m[9]}" = 000 ] || problem "$core link: faults ${m[7]}, resets ${m[8]}, stale ${m[9]}"
    [ "${m[10]}" -eq 1 ] || problem "$core link: ${m[10]} sessions"
    [ "${m[11]}" -eq 0 ] || problem "$core link: ${m[11]} empty messages"
  else
    problem "no $core link line: '$line'"
    ltx[$core]=0; lrx[$core]=0
  fi
  line=$(grep "^$core channel: " "$tmp/out" || true)
  re='^CM. channel: tx ([0-9]+), rx ([0-9]+), send failures ([0-9]+), dropped ([0-9]+) \(stale ([0-9]+)\), sessions ([0-9]+), resets ([0-9]+)$'
  if [[ "$line" =~ $re ]]; then
    m=("${BASH_REMATCH[@]}")
    ctx[$core]=${m[1]}; crx[$core]=${m[2]}
    [ "${m[3]}" -eq 0 ] || problem "$core: ${m[3]} send failures"
    [ "${m[4]}" -eq 0 ] || problem "$core channel dropped ${m[4]} frames"
    [ "${m[6]}" -eq 1 ] && [ "${m[7]}" -eq 0 ] || problem "$core channel: sessions ${m[6]}, resets ${m[7]}"
  else
    problem "no $core channel line: '$line'"
    ctx[$core]=0; crx[$core]=0
  fi
  # Every frame is one link message; the hellos are all but a few control frames.
  [ "${ctx[$core]}" -eq "${ltx[$core]}" ] || problem "$core: channel sent ${ctx[$core]}, link ${ltx[$core]}"
  [ "${crx[$core]}" -eq "${lrx[$core]}" ] || problem "$core: channel received ${crx[$core]}, link ${lrx[$core]}"
  [ "${ctx[$core]}" -ge "$n" ] || problem "$core sent ${ctx[$core]} frames, fewer than $n hellos"
done
# What one core sent, the other received: nothing lost in between.
[ "${ltx[CM7]}" -eq "${lrx[CM4]}" ] || problem "the CM7 sent ${ltx[CM7]} messages, the CM4 received ${lrx[CM4]}"
[ "${ltx[CM4]}" -eq "${lrx[CM7]}" ] || problem "the CM4 sent ${ltx[CM4]} messages, the CM7 received ${lrx[CM7]}"

ms=$(( (end - start) / 1000000 ))
[ "$ms" -gt 0 ] || ms=1
echo "soak: figures"
grep -E '^CM[47] (summary|link|channel):' "$tmp/out" | sed 's/^/  /'
echo "  CM7 -> CM4: ${ltx[CM7]} messages: $n hellos, $(( ltx[CM7] - n )) handshake/goodbye/heartbeat"
echo "  CM4 -> CM7: ${ltx[CM4]} messages: $n hellos, $(( ltx[CM4] - n )) handshake/heartbeat"
echo "  $(( ms / 1000 )).$(printf %03d $(( ms % 1000 ))) s: $(( n * 1000 / ms )) hellos/s each way, $(( 2 * n * 1000 / ms )) messages/s in all"

if [ "${#problems[@]}" -gt 0 ]; then
  for p in "${problems[@]}"; do echo "soak: FAIL: $p" >&2; done
  exit 1
fi
echo "soak: PASS: $n messages each way, 0 lost, counters agree"
