#!/usr/bin/env bash
# Size of the library in Cortex-M builds, per module, from the link maps of
# these images of each build (target/CMakeLists.txt):
#   amp_size_baseline  the bare-metal runtime and an empty main()
#   amp_size_firmware  the same, plus every public symbol of libamp.a kept as
#                      a gc root (--gc-sections drops nothing public), except
#                      those of the link backends a firmware on Zephyr's IPC
#                      service does not link (AMP_SIZE_OTHER_LINKS)
#   amp_size_probe     the same with every public symbol (all links)
#   amp_size_sample    what the CM4 sample uses (Channel + Role), for scale
# Per module: the input sections of libamp.a members the image keeps.
# Library total: firmware minus baseline, i.e. the modules plus the libc/libgcc
# helpers they pull in (memcmp, 64-bit division, ...) and alignment padding.
# text = code + read-only data (flash), data = initialised RAM (flash + RAM),
# bss = zeroed RAM. Flash = text + data, RAM = data + bss. Buffers the user
# sizes (loopback storage, amp_instance_t, ...) live in the user's objects and
# are not counted.
#
# Usage: size-report.sh BUILD_DIR...   (e.g. build/cm7 build/cm4)
# The Cortex-M4 total must stay within AMP_FLASH_BUDGET (5120) bytes of flash
# and AMP_RAM_BUDGET (512) bytes of RAM, else the exit status is 1.
set -euo pipefail

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
  dir=$build/target
  for f in amp_size_baseline.elf.map amp_size_firmware.elf.map amp_size_probe.elf.map amp_size_sample.elf.map \
           amp-sources.txt amp-size-other-links.txt; do
    [ -f "$dir/$f" ] || { echo "size-report: missing $dir/$f (build $build first)" >&2; exit 2; }
  done

  echo "== $cpu ($build): bytes of library code and data in a firmware image"
  report=$( { map_sections "$dir/amp_size_baseline.elf.map" | sed 's/^/base /'
              map_sections "$dir/amp_size_firmware.elf.map" | sed 's/^/fw /'
              map_sections "$dir/amp_size_probe.elf.map" | sed 's/^/all /'
              map_sections "$dir/amp_size_sample.elf.map" | sed 's/^/sample /'; } |
    awk -v sources="$dir/amp-sources.txt" -v others="$dir/amp-size-other-links.txt" '
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
        while ((getline path < others) > 0) if (path != "") other[path ".obj"] = 1
        fmt = "%-16s %6s %6s %6s %7s %6s %7s  %s\n"
      }
      {
        which = $1; cat = $2; origin = $3; name = $4; size = $5
        total[which, cat] += size
        # Modules of the firmware from its own probe, the other links from
        # the probe that keeps everything.
        if (origin == "lib" && ((which == "fw" && !(name in other)) || (which == "all" && (name in other)))) {
          m = (name in mod_of) ? mod_of[name] : name
          grp = (which == "fw") ? "fw" : "other"
          if (!((grp, m) in mods)) { mods[grp, m] = 1; list[grp] = list[grp] SUBSEP m }
          msize[m, cat] += size
          if (!((m, name) in seen)) {
            seen[m, name] = 1
            msrc[m] = msrc[m] (msrc[m] == "" ? "" : " ") ((name in src_of) ? src_of[name] : name)
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
      function rows(grp,   n, i, j, k, t, m, names, fl) {
        n = split(substr(list[grp], 2), names, SUBSEP)
        for (i = 1; i <= n; ++i) fl[names[i]] = msize[names[i], "text"] + msize[names[i], "data"]
        for (i = 2; i <= n; ++i)
          for (j = i; j > 1 && fl[names[j]] > fl[names[j - 1]]; --j) { t = names[j]; names[j] = names[j - 1]; names[j - 1] = t }
        for (i = 1; i <= n; ++i) {
          m = names[i]
          row(m, msize[m, "text"] + 0, msize[m, "data"] + 0, msize[m, "bss"] + 0, msrc[m], sflash[m] + 0)
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
        row("library total", fw["text"], fw["data"], fw["bss"], "= the rows above (firmware image minus baseline)")
        print "-- link backends a firmware on Zephyr'\''s IPC service does not link (not in the total):"
        rows("other")
        row("everything", all["text"], all["data"], all["bss"], "every public symbol, all links (probe minus baseline)")
        row("CM4 sample", smp["text"] + 0, smp["data"] + 0, smp["bss"] + 0,
            "column \"sample\": Channel + Role as samples/open_amp_cpp/cm4 uses them, with helpers")
        printf "TOTAL %d %d\n", fw["text"] + fw["data"], fw["data"] + fw["bss"]
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
exit $status
