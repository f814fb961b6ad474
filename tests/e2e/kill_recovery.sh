#!/usr/bin/env bash
# Kills either core with `kill -9` at random moments while the CM7 streams
# to the CM4 and calls its services, starts it again, and checks that the
# link comes back every time and that nothing was lost, duplicated or
# delivered from before a reset.
#
#   kill_recovery.sh AMP_BOARD [KILLS]      (default 22 kills)
#
# The two cores run as separate processes, as a user would start them by
# hand. After each kill the test waits until the restarted core and the
# survivor have agreed on the protocol again (the link came back), then
# waits a random 50-600 ms (mid-stream, mid-call) and kills again. The last
# three kills hit the CM4, so that the last CM7 lives through resets: the
# messages it had in flight to a dead CM4 must be dropped as stale, never
# delivered to the next one. Then SIGUSR1 asks the CM7 to finish the
# transfer under way and say goodbye; both must exit 0.
set -uo pipefail

board=$1
kills=${2:-22}
shm="amp-e2e-kill-$$"
tmp=$(mktemp -d)
bytes=2000000
calls=20000
p7=0
p4=0
cleanup() {
  for p in $p7 $p4; do [ "$p" -gt 0 ] && kill -9 "$p" 2>/dev/null; done
  rm -f "/dev/shm/$shm"
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL (kill_recovery): $*" >&2
  for f in "$tmp/cm7.$n7.out" "$tmp/cm7.$n7.err" "$tmp/cm4.$n4.out" "$tmp/cm4.$n4.err"; do
    echo "--- $f" >&2; tail -n 25 "$f" >&2
  done
  exit 1
}

n7=0  # instances started so far
n4=0
start_cm7() {
  n7=$((n7 + 1))
  "$board" cm7 --shm "$shm" --count 0 --scenario rpc,stream --rpc-calls $calls --bytes $bytes \
    --duration 100000 --quiet --stats --timeout 20 >"$tmp/cm7.$n7.out" 2>"$tmp/cm7.$n7.err" &
  p7=$!
}
start_cm4() {
  n4=$((n4 + 1))
  "$board" cm4 --shm "$shm" --scenario rpc,stream --bytes $bytes --quiet --stats --timeout 20 \
    >"$tmp/cm4.$n4.out" 2>"$tmp/cm4.$n4.err" &
  p4=$!
}
agreed() { grep -c "protocol agreed" "$1" 2>/dev/null || true; }
# wait_agreed FILE N: until FILE has N "protocol agreed" lines (10 s at most).
wait_agreed() {
  for _ in $(seq 1000); do
    [ "$(agreed "$1")" -ge "$2" ] && return 0
    sleep 0.01
  done
  return 1
}

began=$(date +%s%N)
start_cm7
start_cm4
wait_agreed "$tmp/cm7.1.out" 1 || fail "the cores never bound"
wait_agreed "$tmp/cm4.1.out" 1 || fail "the cores never bound"

kills7=0
kills4=0
kills4_since_cm7=0  # CM4 kills the running CM7 instance saw
kills7_since_cm4=0
for i in $(seq "$kills"); do
  sleep "0.$(printf '%03d' $((50 + RANDOM % 550)))"
  victim=$((RANDOM % 2 == 0 ? 7 : 4))
  [ "$i" -gt $((kills - 3)) ] && victim=4
  if [ $victim = 7 ]; then
    kill -0 $p4 2>/dev/null || fail "kill $i: the CM4 exited (see cm4.$n4.err)"
    survivor="$tmp/cm4.$n4.out"
    before=$(agreed "$survivor")
    kill -9 $p7
    wait $p7 2>/dev/null
    kills7=$((kills7 + 1))
    kills7_since_cm4=$((kills7_since_cm4 + 1))
    kills4_since_cm7=0
    start_cm7
    new="$tmp/cm7.$n7.out"
  else
    kill -0 $p7 2>/dev/null || fail "kill $i: the CM7 exited (see cm7.$n7.err)"
    survivor="$tmp/cm7.$n7.out"
    before=$(agreed "$survivor")
    kill -9 $p4
    wait $p4 2>/dev/null
    kills4=$((kills4 + 1))
    kills4_since_cm7=$((kills4_since_cm7 + 1))
    kills7_since_cm4=0
    start_cm4
    new="$tmp/cm4.$n4.out"
  fi
  # The link came back: the new core and the survivor agreed again.
  wait_agreed "$new" 1 || fail "kill $i (CM$victim): the restarted core did not bind"
  wait_agreed "$survivor" $((before + 1)) || fail "kill $i (CM$victim): the survivor did not bind again"
done

kill -USR1 $p7  # finish the transfer under way, then goodbye
wait $p7; rc7=$?
wait $p4; rc4=$?
p7=0
p4=0
end=$(date +%s%N)
o7="$tmp/cm7.$n7.out"
o4="$tmp/cm4.$n4.out"
[ $rc7 -eq 0 ] || fail "the last CM7 exited with $rc7: $(cat "$tmp/cm7.$n7.err")"
[ $rc4 -eq 0 ] || fail "the last CM4 exited with $rc4: $(cat "$tmp/cm4.$n4.err")"

# Consistent summaries: no errors; each core counted at least the resets of
# the other that it lived through.
summary() { grep -E "^CM$1 summary: sent [0-9]+, received [0-9]+, errors 0, resets [0-9]+$" "$2"; }
s7=$(summary 7 "$o7") || fail "CM7 summary: $(grep 'summary:' "$o7")"
s4=$(summary 4 "$o4") || fail "CM4 summary: $(grep 'summary:' "$o4")"
[ "${s7##* }" -ge $kills4_since_cm7 ] || fail "the CM7 counted ${s7##* } resets, lived through $kills4_since_cm7"
[ "${s4##* }" -ge $kills7_since_cm4 ] || fail "the CM4 counted ${s4##* } resets, lived through $kills7_since_cm4"

# The stream: transfers verified (CRC-32C and length) and confirmed, none
# failed; no chunk out of order (duplicated or missing) anywhere.
grep -qE '^CM7 stream summary: transfers [0-9]+, ok [1-9][0-9]*, failed 0$' "$o7" \
  || fail "CM7 stream: $(grep 'stream summary' "$o7")"
grep -qE '^CM4 stream summary: transfers [0-9]+, ok [1-9][0-9]*, failed 0$' "$o4" \
  || fail "CM4 stream: $(grep 'stream summary' "$o4")"
for f in "$o7" "$o4"; do
  grep -qE '^CM[47] streams: .*, disorder 0, ' "$f" || fail "chunks out of order: $(grep 'streams:' "$f")"
done
if grep -h "stream aborted" "$tmp"/*.out | grep -v "aborted: link_reset"; then
  fail "a stream was aborted for another reason than a reset"
fi
if grep -lE "integrity error|link fault|unexpected message" "$tmp"/*.out; then
  fail "integrity error, link fault or unexpected message (files above)"
fi

# The calls: all made, every failure one in flight at a reset (amp-board
# exits non-zero otherwise).
grep -qE "^CM7 rpc summary: calls $calls, ok [0-9]+, failed [0-9]+$" "$o7" \
  || fail "CM7 rpc: $(grep 'rpc summary' "$o7")"

# Stale messages: dropped at the resets and counted by the link.
grep -qE '^CM7 link: buffers free ([0-9]+)/\1, .*, stale [1-9]' "$o7" \
  || fail "the CM7 counted no stale message: $(grep 'link:' "$o7")"
stale=$(grep -ho "session ended ([^)]*), [0-9]* stale" "$tmp"/*.out | grep -o '[0-9]* stale' \
  | awk '{s += $1} END {print s + 0}')
echo "kill_recovery: $kills kills (CM7 $kills7, CM4 $kills4) in $(((end - began) / 1000000)) ms;" \
  "the link came back every time; $stale stale messages dropped;" \
  "$(grep 'CM7 stream summary' "$o7"); $(grep 'CM7 rpc summary' "$o7")"
echo "ok: kill_recovery"
