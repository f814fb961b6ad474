#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz/ (clang-14, ASan + UBSan).
#
#   scripts/fuzz.sh build                 configure and build build/fuzz
#   scripts/fuzz.sh run SECONDS [NAME...] run each target (default: all) for SECONDS
#   scripts/fuzz.sh seeds [NAME...]       rewrite tests/fuzz/corpus/<name>/ from the
#                                         targets' amp_fuzz_seeds() (saved regress-*
#                                         inputs are kept)
#   scripts/fuzz.sh list                  the target names
#
# `run` fuzzes in build/fuzz/work/<name>/corpus, a copy of the seed corpus that
# grows across runs; the repository's corpus is only read. A crash, leak,
# timeout or broken invariant stops the run with its input saved in
# build/fuzz/work/<name>/artifacts/ and a non-zero exit. Extra libFuzzer
# options can be given in FUZZ_ARGS (e.g. FUZZ_ARGS="-jobs=2 -workers=2").
set -euo pipefail
cd "$(dirname "$0")/.."

src=tests/fuzz
out=build/fuzz
cxx=${FUZZ_CXX:-clang++-14}
cc=${FUZZ_CC:-clang-14}

targets_in_tree() {
  local f
  for f in "$src"/*_fuzz.cpp; do basename "$f" _fuzz.cpp; done
}

build() {
  command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/setup-deps.sh fuzz)" >&2; exit 1; }
  cmake -S "$src" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null
  cmake --build "$out" -j "${JOBS:-2}" >/dev/null
}

run_one() {
  local name=$1 seconds=$2
  local work=$out/work/$name
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "$src/corpus/$name" ]; then cp -f "$src/corpus/$name"/* "$work/corpus/" 2>/dev/null || true; fi
  local dict=()
  [ -f "$src/$name.dict" ] && dict=(-dict="$src/$name.dict")
  local rc=0
  # shellcheck disable=SC2086
  "$out/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -artifact_prefix="$work/artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} "$work/corpus" \
    >"$work/log" 2>&1 || rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  local corpus
  corpus=$(find "$work/corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    printf '%-16s %6ss %12s execs %8s/s  corpus %5s  ok\n' "$name" "$seconds" "${execs:-?}" \
      "$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))" "$corpus"
  else
    printf '%-16s %6ss %12s execs  FAILED (exit %s), log: %s\n' "$name" "$seconds" "${execs:-?}" "$rc" "$work/log"
    grep -E 'invariant failed|ERROR: |SUMMARY: |runtime error|Test unit written' "$work/log" | head -20 || tail -30 "$work/log"
    echo "reproduce: $out/fuzz-$name <input from $work/artifacts/>"
  fi
  return $rc
}

cmd=${1:-}
shift || true
case "$cmd" in
  build) build ;;
  list) targets_in_tree ;;
  seeds)
    build
    names=("$@")
    [ ${#names[@]} -gt 0 ] || mapfile -t names < <(targets_in_tree)
    for name in "${names[@]}"; do
      dir=$src/corpus/$name
      mkdir -p "$dir"
      find "$dir" -type f ! -name 'regress-*' -delete
      "$out/fuzz-$name-replay" --write-seeds "$dir"
      "$out/fuzz-$name-replay" "$dir"
    done
    ;;
  run)
    seconds=${1:?usage: scripts/fuzz.sh run SECONDS [NAME...]}
    shift
    build
    names=("$@")
    [ ${#names[@]} -gt 0 ] || mapfile -t names < <(targets_in_tree)
    echo "fuzzing ${names[*]} for ${seconds}s each (work dirs: $out/work/<name>)"
    failed=0
    for name in "${names[@]}"; do run_one "$name" "$seconds" || failed=1; done
    exit $failed
    ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
