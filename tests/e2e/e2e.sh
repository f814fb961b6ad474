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
  expect_line "$out" "CM7 summary: sent $n, received $n, errors 0"
  expect_line "$out" "CM4 summary: sent $n, received $n, errors 0"
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
  [ "$(tail -n 2 "$tmp/out")" = "$(printf 'CM7 summary: sent 10, received 10, errors 0\nCM4 summary: sent 10, received 10, errors 0')" ] \
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
  start=$(date +%s%N)
  run_board "$tmp/out" "$tmp/err" run --shm "$shm" --count 1000000 --quiet --stats
  end=$(date +%s%N)
  expect_rc $rc 0
  check_summaries "$tmp/out" 1000000
  check_no_leak "$tmp/out"
  [ "$(wc -l <"$tmp/out")" -lt 200 ] || fail "--quiet printed $(wc -l <"$tmp/out") lines"
  echo "1000000 exchanges (2000000 messages) in $(( (end - start) / 1000000 )) ms"
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
  "$board" cm7 --shm "$shm" --count 100000 --interval-us 2000 >"$tmp/cm7.out" 2>"$tmp/cm7.err" & p7=$!; pids+=($p7)
  "$board" cm4 --shm "$shm" >"$tmp/cm4.out" 2>"$tmp/cm4.err" & p4=$!; pids+=($p4)
  for _ in $(seq 100); do grep -q "IPC endpoint bound" "$tmp/cm7.out" && break; sleep 0.05; done
  sleep 0.2
  kill -9 $p4
  wait $p7; rc=$?
  expect_rc $rc 1
  expect_text "$tmp/cm7.err" "amp-board cm7: error: the CM4 (pid $p4) exited before the exchange finished"
  grep -q '^CM7 summary: sent [1-9]' "$tmp/cm7.out" || fail "no summary after the peer died"
  [ ! -e "/dev/shm/$shm" ] || fail "region left behind"
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
