#!/usr/bin/env bash
# Both cores of the dual-core board run one image, so any .data or .bss is
# memory both would use. Only the board's own objects (target/an521, whose
# state is explicitly per core) may have some; a static variable in lib/ or a libc state block
# (errno, stdio) would be shared between the cores without anyone noticing.
# Usage: check-shared-state.sh IMAGE.elf.map
set -euo pipefail
map=$1
bad=$(awk '
  /^[^ \t]/ { out = $1 }                      # an output section starts
  out != ".data" && out != ".bss" { next }
  /^ [.A-Za-z_]/ && NF == 1 { pending = $1; next }   # input section, details on the next line
  /^ [.A-Za-z_]/ && NF >= 4 && $2 ~ /^0x/ { sec = $1; size = $3; file = $4 }
  /^[ \t]+0x/ && NF >= 3 && pending != "" { sec = pending; size = $2; file = $3 }
  { pending = "" }
  sec != "" {
    if (size !~ /^0x0*$/ && file !~ /CMakeFiles\/amp_an521_[a-z_]*[.]dir\//)
      print out ": " sec " (" size " bytes) from " file
    sec = ""
  }' "$map")
if [ -n "$bad" ]; then
  echo "shared-state check FAILED: $(basename "$map" .map) has .data/.bss from outside the board code" >&2
  echo "(both cores would share it; make it per-core explicitly):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "shared-state check: $(basename "$map" .map) has no .data/.bss outside the board code"
