#!/usr/bin/env bash
# Size of the library in Cortex-M builds, per module, from the link maps of
# these images of each build (target/CMakeLists.txt):
#   amp_size_baseline  the bare-metal runtime and an empty main()
#   amp_size_firmware  the same, plus every public symbol of libamp.a kept as
#                      a gc root (--gc-sections drops nothing public), except
#                      those of the members that are not the protocol stack
#                      (AMP_SIZE_OTHER_LINKS, AMP_SIZE_DEMO, AMP_SIZE_BINDINGS)
#   amp_size_probe     the same with every public symbol (all members)
#   amp_size_sample    what the CM4 sample uses (Channel + Role), for scale
# and, for RAM, the symbol sizes of target/probe/state.cpp (sizeof each object
# of the stack on this core). The probes link a libamp.a of their own
# (target/size-lib/): the same sources built with the options a firmware gets
# by default from the Zephyr module (AMP_SIZE_DEFINES, e.g. status values
# instead of names); the test images use the library as the host does.
#
# What the budget counts: the protocol stack a firmware links (wire + CRC,
# status, statistics, log line builder, dispatcher, channel with handshake,
# request/response, and any new module) and the libc/libgcc helpers it pulls
# in. Listed apart, "not in budget": the link backends a firmware on Zephyr's
# IPC service does not link, the demo application (roles, demo services and
# scenarios) and the C API binding.
# Flash: firmware minus baseline (per module: the input sections of the
# libamp.a members the image keeps; helpers: libc/libgcc code and padding).
# text = code + read-only data, data = initialised RAM (flash + RAM), bss =
# zeroed RAM; flash = text + data.
# RAM: the stack's static data (data + bss; none today) plus the state of one
# of each of its objects (a firmware has one Channel per endpoint and an
# RpcClient on it). Tables inside them whose capacity the user sets in
# amp/config.h (handlers, pending requests, ...) are listed with their default
# size but not counted, nor are buffers the user declares (loopback storage,
# amp_instance_t, ...) or stack frames.
#
# Usage: size-report.sh [--report-only] BUILD_DIR...   (e.g. build/cm7 build/cm4)
# The Cortex-M4 total must stay within AMP_FLASH_BUDGET (5120) bytes of flash
# and AMP_RAM_BUDGET (512) bytes of RAM, else the exit status is 1.
# --report-only prints the same report and verdict but exits 0 (CI uses it
# while the budget is exceeded: the figures show on every run).
set -euo pipefail

report_only=0
if [ "${1:-}" = "--report-only" ]; then report_only=1; shift; fi
flash_budget=${AMP_FLASH_BUDGET:-5120}
ram_budget=${AMP_RAM_BUDGET:-512}
budget_cpu=cortex-m4

# Reads a GNU ld map and prints "category origin name size" per allocated
# input section: category text|data|bss; origin lib (a libamp.a member),
# toolchain (another archive's member), image (objects of the image), fill.
map_sections() {
  awk '
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    /^[.][^ ]*/ { out = $1; pending = ""; next }   # output section header
    function category(o) {
      if (o ~ /^[.](vectors|text|rodata|ARM[.]extab|ARM[.]exidx|preinit_array|init_array|fini_array)$/) return "text"
      if (o == ".data") return "data"
      if (o == ".bss") return "bss"
      return ""
    }
    function emit(size, file,   cat, origin, name) {
      cat = category(out)
      if (cat == "" || size == 0) return
      if (file == "") { origin = "fill"; name = "-" }
      else if (match(file, /libamp[.]a[(][^()]*[)]$/)) {
        origin = "lib"; name = substr(file, RSTART + 9, RLENGTH - 10)
      } else if (file ~ /[.]a[(][^()]*[)]$/) {
        origin = "toolchain"; name = file; sub(/^.*\//, "", name)
      } else { origin = "image"; name = file; sub(/^.*\//, "", name) }
      print cat, origin, name, size
    }
    $1 == "*fill*" { emit(strtonum_hex($3), ""); next }
    # " .text.foo  0xADDR  0xSIZE  file" or " .text.foo" then "  0xADDR 0xSIZE file"
    /^ [.A-Za-z_]/ && $1 !~ /^[*]/ {
      if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) emit(strtonum_hex($3), $4)
      else if (NF == 1) pending = $1
      next
    }
    pending != "" && NF >= 3 && $1 ~ /^0x/ && $2 ~ /^0x/ { emit(strtonum_hex($2), $3); pending = ""; next }
    { pending = "" }
    function strtonum_hex(s,   i, c, v) {   # portable (mawk has no strtonum)
      v = 0; s = tolower(s); sub(/^0x/, "", s)
      for (i = 1; i <= length(s); ++i) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
      return v
    }
  ' "$1"
}

cache_value() {  # cache_value BUILD_DIR NAME
  sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"
}

status=0
totals=()
for build in "$@"; do
  cpu=$(cache_value "$build" AMP_TARGET_CPU)
  nm=$(cache_value "$build" CMAKE_NM)
  dir=$build/target
  for f in amp_size_baseline.elf.map amp_size_firmware.elf.map amp_size_probe.elf.map amp_size_sample.elf.map \
           amp-sources.txt amp-size-excluded.txt amp-size-state.txt amp-size-defines.txt; do
    [ -f "$dir/$f" ] || { echo "size-report: missing $dir/$f (build $build first)" >&2; exit 2; }
  done
  state_obj=$(head -n 1 "$dir/amp-size-state.txt")
  [ -f "$state_obj" ] || { echo "size-report: missing $state_obj (build $build first)" >&2; exit 2; }

  echo "== $cpu ($build): bytes of the protocol stack in a firmware image (budgeted)"
  echo "   built with the Zephyr module's defaults: $(tr ';' ' ' < "$dir/amp-size-defines.txt")"
  report=$( { map_sections "$dir/amp_size_baseline.elf.map" | sed 's/^/base /'
              map_sections "$dir/amp_size_firmware.elf.map" | sed 's/^/fw /'
              map_sections "$dir/amp_size_probe.elf.map" | sed 's/^/all /'
              map_sections "$dir/amp_size_sample.elf.map" | sed 's/^/sample /'
              # "state amp_ram_Channel 216": sizes of the stack's objects
              "$nm" -S -t d --defined-only "$state_obj" |
                awk '$4 ~ /^amp_(ram|table)_/ { print "state", $4, $2 - 1 }'; } |
    awk -v sources="$dir/amp-sources.txt" -v excluded="$dir/amp-size-excluded.txt" '
      BEGIN {
        # Source file of each archive member, and its module: the directory
        # under src/ for nested sources, else the file name (a few renamed).
        alias["crc32c"] = "crc"; alias["stats"] = "statistics"; alias["c_api"] = "C API"
        while ((getline path < sources) > 0) {
          if (path == "") continue
          file = path; sub(/^.*\//, "", file)
          rel = path; sub(/^.*src\//, "", rel)
          if (rel ~ /\//) { mod = rel; sub(/\/.*$/, "", mod) }
          else { mod = file; sub(/[.][^.]*$/, "", mod); if (mod in alias) mod = alias[mod] }
          src_of[file ".obj"] = "src/" rel; mod_of[file ".obj"] = mod
        }
        # Members that are not the stack, by group (target/CMakeLists.txt).
        label["OTHER_LINKS"] = "link backends a firmware on Zephyr'\''s IPC service does not link"
        label["DEMO"] = "demo roles and services (application logic of the demo)"
        label["BINDINGS"] = "C API (a binding over the stack, for C firmware)"
        ngroups = 0
        while ((getline line < excluded) > 0) {
          if (split(line, f, " ") != 2) continue
          group_of[f[2] ".obj"] = f[1]
          if (!(f[1] in gseen)) { gseen[f[1]] = 1; groups[++ngroups] = f[1] }
        }
        fmt = "%-16s %6s %6s %6s %7s %6s %7s  %s\n"
      }
      $1 == "state" {
        name = $2; size = $3
        if (name ~ /^amp_ram_/) { obj = substr(name, 9); ram_obj[++nram] = obj; ram[obj] = size }
        else {
          rest = substr(name, 11); obj = rest; sub(/_.*$/, "", obj); tname = substr(rest, length(obj) + 2)
          # 0: the object does not tell its table apart (no table_bytes())
          t = "AMP_CONFIG_" tname " " (size > 0 ? size : "in the state (no table_bytes())")
          tables[obj] = tables[obj] (tables[obj] == "" ? "" : ", ") t
          tbytes[obj] += size; tsum += size
        }
        next
      }
      {
        which = $1; cat = $2; origin = $3; name = $4; size = $5
        total[which, cat] += size
        # The stack from the firmware image, the other groups from the image
        # that keeps everything.
        grp = ""
        if (origin == "lib" && which == "fw") grp = "fw"
        else if (origin == "lib" && which == "all" && (name in group_of)) grp = group_of[name]
        if (grp != "") {
          m = (name in mod_of) ? mod_of[name] : name
          if (!((grp, m) in mods)) { mods[grp, m] = 1; list[grp] = list[grp] SUBSEP m }
          msize[grp, m, cat] += size
          if (!((grp, m, name) in seen)) {
            seen[grp, m, name] = 1
            src = (name in src_of) ? src_of[name] : name
            if (grp == "fw" && (name in group_of)) src = src " (not stack, but the stack pulls it in)"
            msrc[grp, m] = msrc[grp, m] (msrc[grp, m] == "" ? "" : " ") src
          }
          if (grp == "fw") sum[cat] += size
        }
        if (origin == "toolchain") {
          if (which == "base") inbase[name] = 1
          else if (which == "fw") helper[name] = 1
        }
        # The sample: its libamp.a objects, and toolchain objects the baseline
        # does not have (the baseline comes first in the input).
        if (which == "sample" && (origin == "lib" || (origin == "toolchain" && !(name in inbase)))) smp[cat] += size
        if (which == "sample" && origin == "lib" && cat != "bss") {
          sflash[(name in mod_of) ? mod_of[name] : name] += size
        }
      }
      function row(label, t, d, b, note, sample) { printf fmt, label, t, d, b, t + d, d + b, sample, note }
      function rows(grp,   n, i, j, t, m, names, fl) {
        n = split(substr(list[grp], 2), names, SUBSEP)
        for (i = 1; i <= n; ++i) fl[names[i]] = msize[grp, names[i], "text"] + msize[grp, names[i], "data"]
        for (i = 2; i <= n; ++i)
          for (j = i; j > 1 && fl[names[j]] > fl[names[j - 1]]; --j) { t = names[j]; names[j] = names[j - 1]; names[j - 1] = t }
        for (i = 1; i <= n; ++i) {
          m = names[i]
          row(m, msize[grp, m, "text"] + 0, msize[grp, m, "data"] + 0, msize[grp, m, "bss"] + 0, msrc[grp, m], sflash[m] + 0)
        }
      }
      END {
        printf fmt, "module", "text", "data", "bss", "flash", "ram", "sample", "sources"
        rows("fw")
        for (k = 1; k <= 3; ++k) {
          c = (k == 1 ? "text" : k == 2 ? "data" : "bss")
          fw[c] = total["fw", c] - total["base", c]; all[c] = total["all", c] - total["base", c]
        }
        helpers = ""
        for (h in helper) if (!(h in inbase)) helpers = helpers (helpers == "" ? "" : " ") h
        row("helpers", fw["text"] - sum["text"], fw["data"] - sum["data"], fw["bss"] - sum["bss"],
            "libc/libgcc code the modules pull in, and padding: " (helpers == "" ? "none" : helpers))
        row("stack total", fw["text"], fw["data"], fw["bss"], "= the rows above (firmware image minus baseline)")
        for (g = 1; g <= ngroups; ++g) {
          print "-- not in budget: " label[groups[g]]
          rows(groups[g])
        }
        print "-- for scale (not in budget)"
        row("everything", all["text"], all["data"], all["bss"], "every public symbol, all members (probe minus baseline)")
        row("CM4 sample", smp["text"] + 0, smp["data"] + 0, smp["bss"] + 0,
            "column \"sample\": Channel + Role as samples/open_amp_cpp/cm4 uses them, with helpers")

        # RAM: the stack'\''s static data and one of each of its objects.
        rfmt = "%-16s %6s %7s  %s\n"
        print ""
        print "RAM of the stack: its static data and one of each of its objects (sizeof)"
        printf rfmt, "object", "state", "tables", "tables sized in amp/config.h (default size; not in budget)"
        state = fw["data"] + fw["bss"]
        printf rfmt, "static data", state, "", ".data + .bss of the stack modules"
        for (i = 1; i <= nram; ++i) {
          o = ram_obj[i]; state += ram[o]
          printf rfmt, o, ram[o], tbytes[o] + 0, tables[o]
        }
        printf rfmt, "stack state", state, tsum + 0, "budgeted: the state column; with the default tables " state + tsum " B"
        printf "TOTAL %d %d\n", fw["text"] + fw["data"], state
      }')
  echo "$report" | grep -v '^TOTAL '
  read -r _ flash ram <<<"$(echo "$report" | grep '^TOTAL ')"
  totals+=("library total ($cpu): flash $flash B, ram $ram B")
  if [ "$cpu" = "$budget_cpu" ] && { [ "$flash" -gt "$flash_budget" ] || [ "$ram" -gt "$ram_budget" ]; }; then
    over="$cpu over budget: flash $flash B (budget $flash_budget B), ram $ram B (budget $ram_budget B)"
    status=1
  fi
  echo
done

if [ -n "${over:-}" ]; then
  echo "size-report: $over; the largest modules are listed first"
fi
printf '%s\n' "${totals[@]}"
if [ $status -ne 0 ] && [ $report_only -eq 1 ]; then
  echo "size-report: OVER BUDGET (reported only: make size fails on it)"
  exit 0
fi
exit $status
