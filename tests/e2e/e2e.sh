#!/usr/bin/env bash
# End-to-end tests of the virtual board: real `amp-board` processes over
# POSIX shared memory. Usage: e2e.sh CASE AMP_BOARD ROGUE
# Each case uses its own shared-memory name and removes it afterwards.
set -uo pipefail

case_name=$1
board=$2
rogue=$3
shm="amp-e2e-${case_name}-$$"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -f "/dev/shm/$shm"
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL ($case_name): $*" >&2; for f in "$tmp"/*; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done; exit 1; }
expect_line() { grep -qxF -- "$2" "$1" || fail "no line '$2' in $1"; }
expect_text() { grep -qF -- "$2" "$1" || fail "no '$2' in $1"; }
expect_rc() { [ "$1" -eq "$2" ] || fail "exit status $1, expected $2"; }

# summaries N: both summary lines say N exchanges and no errors; every buffer back.
check_summaries() {
  local out=$1 n=$2
  expect_line "$out" "CM7 summary: sent $n, received $n, errors 0, resets 0"
  expect_line "$out" "CM4 summary: sent $n, received $n, errors 0, resets 0"
}
check_no_leak() {
  local out=$1
  grep -E '^CM[47] link: buffers free ([0-9]+)/\1,' "$out" | wc -l | grep -qx 2 \
    || fail "not every buffer came back: $(grep 'link:' "$out")"
}

run_board() {  # run_board OUT ERR args... ; sets rc
  local out=$1 err=$2; shift 2
  "$board" "$@" >"$out" 2>"$err"; rc=$?
}

case "$case_name" in
run_transcript)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm"
  expect_rc $rc 0
  expect_text "$tmp/out" "<inf> cm7_main: Starting CM7 application"
  expect_text "$tmp/out" "<inf> cm4_main: Starting CM4 application"
  expect_line "$tmp/out" "C++ OpenAMP library initialized for CM7"
  expect_line "$tmp/out" "C++ OpenAMP library initialized for CM4"
  expect_text "$tmp/out" "<inf> cm7_main: IPC endpoint bound"
  expect_text "$tmp/out" "<inf> cm4_main: IPC endpoint bound"
  for i in 0 9; do
    expect_line "$tmp/out" "CM7 sending message: Hello from CM7, count: $i (len: 24)"
    expect_line "$tmp/out" "CM4 sending message: Hello from CM4, count: $i (len: 24)"
  done
  [ "$(grep -c '^CM4 received message with length: 24$' "$tmp/out")" -eq 10 ] || fail "CM4 did not receive 10"
  [ "$(grep -c '^CM7 received message with length: 24$' "$tmp/out")" -eq 10 ] || fail "CM7 did not receive 10"
  # The transcript ends with the two summaries, CM7 first.
  [ "$(tail -n 2 "$tmp/out")" = "$(printf 'CM7 summary: sent 10, received 10, errors 0, resets 0\nCM4 summary: sent 10, received 10, errors 0, resets 0')" ] \
    || fail "transcript does not end with the summaries"
  # Lines are merged in time order. Each core logs "sending" just after the
  # message left, so only causal order is certain: CM7's line for hello N
  # precedes CM4's for answer N+1, and CM4's for answer N precedes CM7's for
  # hello N+2 (which fails if the consoles were printed one after the other).
  at() { grep -n "$1 sending message: Hello from $1, count: $2 " "$tmp/out" | cut -d: -f1; }
  [ "$(at CM7 5)" -lt "$(at CM4 6)" ] || fail "consoles not merged in time order"
  [ "$(at CM4 5)" -lt "$(at CM7 7)" ] || fail "consoles not merged in time order"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
  ;;
cm7_first|cm4_first)
  first=cm7; second=cm4
  [ "$case_name" = cm4_first ] && { first=cm4; second=cm7; }
  "$board" $first --shm "$shm" --count 300 --stats --quiet >"$tmp/$first.out" 2>"$tmp/$first.err" & p1=$!; pids+=($p1)
  sleep 0.5
  kill -0 $p1 2>/dev/null || fail "$first did not wait for $second"
  "$board" $second --shm "$shm" --count 300 --stats --quiet >"$tmp/$second.out" 2>"$tmp/$second.err"; rc2=$?
  wait $p1; rc1=$?
  expect_rc $rc1 0; expect_rc $rc2 0
  cat "$tmp/cm7.out" "$tmp/cm4.out" >"$tmp/all"
  check_summaries "$tmp/all" 300
  check_no_leak "$tmp/all"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
  ;;
doorbell_spin|doorbell_block|doorbell_adaptive)
  mode=${case_name#doorbell_}
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --doorbell "$mode" --count 5000 --size 100 --quiet --stats
  expect_rc $rc 0
  check_summaries "$tmp/out" 5000
  check_no_leak "$tmp/out"
  if [ "$mode" = spin ]; then
    grep -qE '^CM7 link: .*wakeups 0, sleeps 0$' "$tmp/out" || fail "spin mode slept"
  fi
  ;;
million)
  # AMP_E2E_MILLION_COUNT: fewer under a slow checker (scripts/sanitizers.sh
  # says how many on every run); more than 65536 wrap the 16-bit ring indices.
  n=${AMP_E2E_MILLION_COUNT:-1000000}
  start=$(date +%s%N)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --count "$n" --quiet --stats
  end=$(date +%s%N)
  expect_rc $rc 0
  check_summaries "$tmp/out" "$n"
  check_no_leak "$tmp/out"
  # (a progress line per second: many under a slow checker)
  [ "$(grep -vc ' progress: ' "$tmp/out")" -lt 200 ] || fail "--quiet printed $(wc -l <"$tmp/out") lines"
  echo "$n exchanges ($(( 2 * n )) messages) in $(( (end - start) / 1000000 )) ms"
  ;;
max_payload)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --count 200 --size 476 --stats
  expect_rc $rc 0
  check_summaries "$tmp/out" 200
  check_no_leak "$tmp/out"
  expect_line "$tmp/out" "CM7 sending message: Hello from CM7, count: 199 (len: 476)"
  expect_line "$tmp/out" "CM4 received message with length: 476"
  expect_line "$tmp/out" "CM7 received message with length: 476"
  ;;
oversize_refused)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --size 477
  [ $rc -ne 0 ] || fail "--size 477 accepted"
  expect_text "$tmp/err" "--size 477 is too large: the largest payload is 476 bytes"
  run_board "$tmp/out" "$tmp/err" cm7 --shm "$shm" --buffer-size 256 --size 221
  [ $rc -ne 0 ] || fail "--size 221 with 256-byte buffers accepted"
  expect_text "$tmp/err" "the largest payload is 220 bytes"
  [ ! -e "/dev/shm/$shm" ] || fail "a refused run created the region"
  ;;
small_buffers)
  # 128-byte buffers in 4 KiB: 8 buffers per direction, payload up to 92 bytes.
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --buffer-size 128 --shm-size 4096 --size 92 --count 500 --quiet --stats
  expect_rc $rc 0
  check_summaries "$tmp/out" 500
  expect_text "$tmp/out" "CM7 link: buffers free 8/8,"
  ;;
duration)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --duration 1 --quiet --stats
  expect_rc $rc 0
  line=$(grep '^CM7 summary:' "$tmp/out") || fail "no CM7 summary"
  n=$(echo "$line" | sed -E 's/^CM7 summary: sent ([0-9]+), .*/\1/')
  [ "$n" -gt 0 ] || fail "no exchanges in 1 s"
  check_summaries "$tmp/out" "$n"
  check_no_leak "$tmp/out"
  ;;
fault_avail_idx|fault_avail_entry|fault_desc_addr|fault_desc_len|fault_rpmsg_len)
  # The rogue is the CM7 and corrupts its own ring; the real CM4 must fault.
  mode=${case_name#fault_}; mode=${mode//_/-}
  "$rogue" --shm "$shm" --as primary --corrupt "$mode" >"$tmp/rogue.out" 2>"$tmp/rogue.err" & p=$!; pids+=($p)
  run_board "$tmp/out" "$tmp/err" cm4 --shm "$shm" --stats
  wait $p; rrc=$?
  expect_rc $rc 1                       # a clean exit with an error, not a crash
  expect_rc $rrc 0                      # the rogue saw the state word "faulted"
  expect_text "$tmp/out" "<err> cm4_main: shm link fault (${mode//-/_})"
  expect_text "$tmp/err" "amp-board cm4: error: link fault (${mode//-/_})"
  grep -qE '^CM4 link: .*faults [1-9]' "$tmp/out" || fail "fault not counted"
  ;;
fault_used_id|fault_used_idx)
  # The rogue is the CM4 and gives back a bad used entry; the real CM7 must fault.
  mode=${case_name#fault_}; mode=${mode//_/-}
  "$board" cm7 --shm "$shm" --count 100000 --interval-us 1000 --stats >"$tmp/out" 2>"$tmp/err" & p=$!; pids+=($p)
  "$rogue" --shm "$shm" --as remote --corrupt "$mode" >"$tmp/rogue.out" 2>"$tmp/rogue.err"; rrc=$?
  wait $p; rc=$?
  expect_rc $rc 1
  expect_rc $rrc 0
  expect_text "$tmp/out" "<err> cm7_main: shm link fault (${mode//-/_})"
  expect_text "$tmp/err" "amp-board cm7: error: link fault (${mode//-/_})"
  [ ! -e "/dev/shm/$shm" ] || fail "the CM7 left its region behind"
  ;;
stale_region_reclaimed)
  "$rogue" --shm "$shm" --stale || fail "could not leave a stale region"
  [ -e "/dev/shm/$shm" ] || fail "no stale region"
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --count 20 --quiet
  expect_rc $rc 0
  expect_text "$tmp/err" "reclaiming stale shared memory /dev/shm/$shm"
  check_summaries "$tmp/out" 20
  ;;
region_in_use_refused)
  "$rogue" --shm "$shm" --hold 30 >"$tmp/rogue.out" 2>&1 & p=$!; pids+=($p)
  for _ in $(seq 100); do grep -q holding "$tmp/rogue.out" && break; sleep 0.05; done
  run_board "$tmp/out" "$tmp/err" cm7 --shm "$shm" --timeout 2
  expect_rc $rc 1
  expect_text "$tmp/err" "is in use by a running CM7 (pid $p)"
  expect_text "$tmp/err" "rm /dev/shm/$shm"
  kill -0 $p 2>/dev/null || fail "the holder was disturbed"
  ;;
peer_timeout)
  run_board "$tmp/out" "$tmp/err" cm7 --shm "$shm" --timeout 1
  expect_rc $rc 1
  expect_text "$tmp/err" "amp-board cm7: error: the CM4 did not bind within 1 s"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
  run_board "$tmp/out" "$tmp/err" cm4 --shm "$shm" --timeout 1
  expect_rc $rc 1
  expect_text "$tmp/err" "amp-board cm4: error: no CM7 created /dev/shm/$shm within 1 s"
  ;;
peer_killed)
  # The survivor waits --timeout for the other core to come back, then fails
  # naming it.
  "$board" cm7 --shm "$shm" --count 100000 --interval-us 2000 --timeout 2 >"$tmp/cm7.out" 2>"$tmp/cm7.err" & p7=$!; pids+=($p7)
  "$board" cm4 --shm "$shm" >"$tmp/cm4.out" 2>"$tmp/cm4.err" & p4=$!; pids+=($p4)
  for _ in $(seq 100); do grep -q "IPC endpoint bound" "$tmp/cm7.out" && break; sleep 0.05; done
  sleep 0.2
  kill -9 $p4
  wait $p4 2>/dev/null
  sleep 0.5
  kill -0 $p7 2>/dev/null || fail "the CM7 did not wait for the CM4 to come back"
  wait $p7; rc=$?
  expect_rc $rc 1
  expect_text "$tmp/cm7.out" "<wrn> cm7_main: the CM4 (pid $p4) is gone; waiting up to 2 s for it to come back"
  expect_text "$tmp/cm7.out" "<wrn> cm7_main: IPC endpoint unbound"
  expect_text "$tmp/cm7.err" "amp-board cm7: error: the CM4 (pid $p4) exited and did not come back within 2 s"
  grep -qE '^CM7 summary: sent [1-9][0-9]*, received [0-9]+, errors 0, resets 1$' "$tmp/cm7.out" \
    || fail "no summary with the reset after the peer died: $(grep summary "$tmp/cm7.out")"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
  ;;
cm4_restarted)
  # kill -9 of the CM4 in the middle of a stream, started again by hand: the
  # new CM4 takes the side of the dead one over and the CM7 goes on.
  "$board" cm7 --shm "$shm" --count 0 --scenario stream --bytes 3000000 --duration 2 --quiet --stats >"$tmp/cm7.out" 2>"$tmp/cm7.err" & p7=$!; pids+=($p7)
  "$board" cm4 --shm "$shm" --scenario stream --bytes 3000000 --stats >"$tmp/cm4a.out" 2>"$tmp/cm4a.err" & p4=$!; pids+=($p4)
  for _ in $(seq 200); do grep -q "stream progress" "$tmp/cm4a.out" && break; sleep 0.02; done
  kill -9 $p4
  wait $p4 2>/dev/null
  "$board" cm4 --shm "$shm" --scenario stream --bytes 3000000 --quiet --stats >"$tmp/cm4.out" 2>"$tmp/cm4.err"; rc4=$?
  wait $p7; rc7=$?
  expect_rc $rc7 0; expect_rc $rc4 0
  expect_text "$tmp/cm4.out" "taking over the CM4 side of /dev/shm/$shm (pid $p4 is gone)"
  # (how many messages were left in the ring depends on the moment of the kill)
  grep -qE "<wrn> cm7_main: shm link: session ended \((peer lost|the remote attached again)\), [0-9]+ stale messages dropped" "$tmp/cm7.out" \
    || fail "the CM7 did not end the session: $(grep 'session ended' "$tmp/cm7.out")"
  expect_line "$tmp/cm7.out" "CM7 summary: sent 0, received 0, errors 0, resets 1"
  expect_line "$tmp/cm4.out" "CM4 summary: sent 0, received 0, errors 0, resets 0"
  grep -qE '^CM7 stream summary: transfers [0-9]+, ok [1-9][0-9]*, failed 0$' "$tmp/cm7.out" || fail "no stream completed"
  grep -qE '^CM7 link: buffers free ([0-9]+)/\1, .*, resets 1, stale [0-9]+, sessions 2,' "$tmp/cm7.out" \
    || fail "link counters: $(grep '^CM7 link:' "$tmp/cm7.out")"
  ;;
cm7_restarted|follow_new_region)
  # kill -9 of the CM7 in the middle of a stream, started again: it formats
  # the region again in place (new generation) and the CM4 attaches again;
  # with another --shm-size it creates a new region, which the CM4 follows.
  size=32768
  [ "$case_name" = follow_new_region ] && size=65536
  "$board" cm7 --shm "$shm" --count 0 --scenario stream --bytes 3000000 --duration 60 --stats >"$tmp/cm7a.out" 2>"$tmp/cm7a.err" & p7=$!; pids+=($p7)
  "$board" cm4 --shm "$shm" --scenario stream --bytes 3000000 --quiet --stats >"$tmp/cm4.out" 2>"$tmp/cm4.err" & p4=$!; pids+=($p4)
  for _ in $(seq 200); do grep -q "stream progress" "$tmp/cm7a.out" && break; sleep 0.02; done
  kill -9 $p7
  wait $p7 2>/dev/null
  "$board" cm7 --shm "$shm" --count 0 --scenario stream --bytes 3000000 --shm-size $size --quiet --stats >"$tmp/cm7.out" 2>"$tmp/cm7.err"; rc7=$?
  wait $p4; rc4=$?
  expect_rc $rc7 0; expect_rc $rc4 0
  expect_text "$tmp/cm7.err" "reclaiming stale shared memory /dev/shm/$shm (creator pid $p7 is gone)"
  if [ "$case_name" = follow_new_region ]; then
    expect_text "$tmp/cm4.out" "attached to the new shared memory of the CM7"
    expect_text "$tmp/cm7.out" "CM7 link: buffers free 32/32,"
  else
    expect_text "$tmp/cm4.out" "shm link: attaching again (region generation 2)"
  fi
  expect_line "$tmp/cm4.out" "CM4 summary: sent 0, received 0, errors 0, resets 1"
  grep -qE '^CM4 stream summary: transfers [0-9]+, ok [1-9][0-9]*, failed 0$' "$tmp/cm4.out" \
    || fail "CM4 stream: $(grep 'stream summary' "$tmp/cm4.out")"
  expect_line "$tmp/cm7.out" "CM7 stream summary: transfers 1, ok 1, failed 0"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
  ;;
run_restarts_killed_core)
  # `run` boots a core killed by hand again, as a reset core boots.
  "$board" run --shm "$shm" --count 0 --scenario stream --bytes 3000000 --duration 2 --quiet --stats >"$tmp/out" 2>"$tmp/err" & runner=$!; pids+=($runner)
  for _ in $(seq 200); do grep -q "protocol agreed" "$tmp/out" && break; sleep 0.02; done
  sleep 0.3
  child=$(pgrep -P $runner -f " cm4 ") || fail "no CM4 child"
  kill -9 $child
  wait $runner; rc=$?
  expect_rc $rc 0
  expect_text "$tmp/err" "amp-board run: the cm4 (pid $child) was killed; starting it again"
  expect_line "$tmp/out" "CM7 summary: sent 0, received 0, errors 0, resets 1"
  grep -qE '^CM7 stream summary: transfers [0-9]+, ok [1-9][0-9]*, failed 0$' "$tmp/out" || fail "no stream completed"
  ;;
rpc_demo)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --scenario rpc
  expect_rc $rc 0
  grep -qE '^CM7 rpc checksum\(256 bytes\) = 0x[0-9a-f]{8} in [0-9]+ us$' "$tmp/out" || fail "no checksum call line"
  grep -qE '^CM7 rpc stats = tx [0-9]+, rx [0-9]+, dropped 0 in [0-9]+ us$' "$tmp/out" || fail "no stats call line"
  [ "$(grep -c '^CM7 rpc ' "$tmp/out")" -eq 7 ] || fail "not 6 calls and a summary"
  expect_line "$tmp/out" "CM7 rpc summary: calls 6, ok 6, failed 0"
  # The calls come after the hellos; the two summaries still end the transcript.
  [ "$(grep -n 'CM7 rpc checksum' "$tmp/out" | head -1 | cut -d: -f1)" -gt \
    "$(grep -n 'CM7 received message' "$tmp/out" | tail -1 | cut -d: -f1)" ] || fail "calls before the last hello"
  [ "$(tail -n 2 "$tmp/out")" = "$(printf 'CM7 summary: sent 10, received 10, errors 0, resets 0\nCM4 summary: sent 10, received 10, errors 0, resets 0')" ] \
    || fail "transcript does not end with the summaries"
  ;;
rpc_both_ways)
  # Thousands of calls from each core to the other, four in flight: every
  # response arrives and matches (a lost one times out, a wrong one fails).
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --scenario rpc --rpc-calls 3000 --rpc-both-ways --rpc-in-flight 4 --quiet --stats
  expect_rc $rc 0
  expect_line "$tmp/out" "CM7 rpc summary: calls 3000, ok 3000, failed 0"
  expect_line "$tmp/out" "CM4 rpc summary: calls 3000, ok 3000, failed 0"
  check_summaries "$tmp/out" 10
  check_no_leak "$tmp/out"
  ;;
version_mismatch)
  # Only one core "reflashed": both refuse, both consoles name both versions.
  "$board" cm7 --shm "$shm" --scenario rpc --protocol-version 2 >"$tmp/cm7.out" 2>"$tmp/cm7.err" & p7=$!; pids+=($p7)
  "$board" cm4 --shm "$shm" --scenario rpc >"$tmp/cm4.out" 2>"$tmp/cm4.err"; rc4=$?
  wait $p7; rc7=$?
  expect_rc $rc7 1; expect_rc $rc4 1
  expect_text "$tmp/cm7.out" "<err> cm7_main: protocol mismatch: local v2 (hash 0x7e32984f), peer v1 (hash 0x7e32984f)"
  expect_text "$tmp/cm4.out" "<err> cm4_main: protocol mismatch: local v1 (hash 0x7e32984f), peer v2 (hash 0x7e32984f)"
  expect_text "$tmp/cm7.err" "amp-board cm7: error: protocol mismatch: this core speaks v2 (hash 0x7e32984f), the CM4 v1"
  expect_text "$tmp/cm4.err" "amp-board cm4: error: protocol mismatch: this core speaks v1 (hash 0x7e32984f), the CM7 v2"
  ! grep -q "sending message\|rpc checksum" "$tmp/cm7.out" "$tmp/cm4.out" || fail "application traffic flowed"
  ;;
stream_demo)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --scenario stream --bytes 3000000 --stats
  expect_rc $rc 0
  # (plain lines, or log lines: "... <inf> cm7_main: CM7 stream ...")
  grep -qE '(^|: )CM7 stream progress: [0-9]+ of 3000000 bytes, [0-9]+ kB/s$' "$tmp/out" || fail "no progress line"
  c7=$(grep -E '(^|: )CM7 stream done: 3000000 bytes in [0-9]+ chunks, [0-9]+ stalls, [0-9]+ kB/s, crc 0x[0-9a-f]{8}$' "$tmp/out") || fail "no CM7 done line"
  c4=$(grep -E '(^|: )CM4 stream done: 3000000 bytes in [0-9]+ chunks, 0 stalls, [0-9]+ kB/s, crc 0x[0-9a-f]{8}$' "$tmp/out") || fail "no CM4 done line"
  [ "${c7##* }" = "${c4##* }" ] || fail "CRC differs: $c7 / $c4"
  expect_line "$tmp/out" "CM7 stream summary: transfers 1, ok 1, failed 0"
  expect_line "$tmp/out" "CM4 stream summary: transfers 1, ok 1, failed 0"
  grep -qE '^CM4 streams: opened 1, ended 1, aborted 0, disorder 0,' "$tmp/out" || fail "stream totals"
  check_summaries "$tmp/out" 10
  check_no_leak "$tmp/out"
  ;;
corruption)
  # Every 40th request or response a core receives gets one bit flipped in
  # the shared memory before the core reads it (--corrupt-every, in a byte
  # only the CRC covers). Each one is dropped as crc_mismatch with the likely
  # cause, counted as an error, and its call times out; nothing else is lost,
  # both cores run to the end and every count agrees.
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --scenario rpc --rpc-calls 400 --rpc-in-flight 4 \
    --rpc-timeout-ms 500 --corrupt-every 40 --quiet --stats
  expect_rc $rc 1  # errors were counted: a clean exit with an error, not a crash
  hint="IPC memory cached or wrongly attributed? check its MPU attributes"
  declare -A flipped tx rx dropped
  for core in CM7 CM4; do
    line=$(grep -E "^$core corrupted [0-9]+ of [0-9]+ requests and responses received" "$tmp/out") \
      || fail "no corruption line for the $core"
    flipped[$core]=$(echo "$line" | cut -d' ' -f3)
    [ "${flipped[$core]}" -gt 0 ] || fail "nothing corrupted on the $core"
    lc=$(echo "$core" | tr 'CM' 'cm')
    n=$(grep -cF "<wrn> ${lc}_main: dropped frame (crc_mismatch, " "$tmp/out")
    [ "$n" -eq "${flipped[$core]}" ] || fail "$core: $n crc_mismatch drops, ${flipped[$core]} frames corrupted"
    n=$(grep -F "<wrn> ${lc}_main: dropped frame (" "$tmp/out" | grep -cF "$hint")
    [ "$n" -eq "${flipped[$core]}" ] || fail "$core: $n drop lines name the likely cause, expected ${flipped[$core]}"
    expect_line "$tmp/out" "$core summary: sent 10, received 10, errors ${flipped[$core]}, resets 0"
    expect_text "$tmp/err" "amp-board ${lc}: error: ${flipped[$core]} errors (see the log above)"
    line=$(grep -E "^$core channel: " "$tmp/out") || fail "no $core channel line"
    [[ "$line" =~ tx\ ([0-9]+),\ rx\ ([0-9]+),\ send\ failures\ 0,\ dropped\ ([0-9]+)\ \(stale\ 0\),\ sessions\ 1,\ resets\ 0$ ]] \
      || fail "$line"
    tx[$core]=${BASH_REMATCH[1]}; rx[$core]=${BASH_REMATCH[2]}; dropped[$core]=${BASH_REMATCH[3]}
    [ "${dropped[$core]}" -eq "${flipped[$core]}" ] || fail "$core dropped ${dropped[$core]}, ${flipped[$core]} corrupted"
  done
  # What one core sent, the other received or dropped; every lost frame was a call.
  [ "${tx[CM7]}" -eq $(( rx[CM4] + dropped[CM4] )) ] || fail "CM7 sent ${tx[CM7]}, the CM4 received ${rx[CM4]} + dropped ${dropped[CM4]}"
  [ "${tx[CM4]}" -eq $(( rx[CM7] + dropped[CM7] )) ] || fail "CM4 sent ${tx[CM4]}, the CM7 received ${rx[CM7]} + dropped ${dropped[CM7]}"
  lost=$(( flipped[CM7] + flipped[CM4] ))
  expect_line "$tmp/out" "CM7 rpc summary: calls 400, ok $(( 400 - lost )), failed $lost"
  check_no_leak "$tmp/out"
  [ "$(grep -cE '^CM[47] link: .*, dropped 0, faults 0, resets 0, stale 0, sessions 1,' "$tmp/out")" -eq 2 ] \
    || fail "link counters: $(grep 'link:' "$tmp/out")"
  ;;
help)
  for sub in "" cm7 cm4 run; do
    "$board" $sub --help >"$tmp/help" 2>&1 || fail "'$sub --help' failed"
    if [ -n "$sub" ]; then
      for opt in --count --size --interval-us --doorbell --shm --duration --quiet; do
        expect_text "$tmp/help" "$opt"
      done
    fi
  done
  "$board" >"$tmp/out" 2>&1 && fail "no subcommand accepted"
  "$board" run --doorbell sometimes >"$tmp/out" 2>&1 && fail "bad --doorbell accepted"
  true
  ;;
*)
  echo "unknown case $case_name" >&2; exit 2 ;;
esac
echo "ok: $case_name"
