#!/usr/bin/env bash
# Link check of a Cortex-M image that keeps every public symbol of libamp.a
# (the size probes of target/CMakeLists.txt): it must contain no heap
# (malloc/free/calloc/realloc, operator new/delete), no exception support
# (__cxa_throw, __cxa_begin_catch, _Unwind_*, personality routines,
# std::terminate), no RTTI (typeinfo), no iostreams and no printf family.
#
# On failure it names, for each way such code came in, the libamp.a object
# and function that made the first reference, the symbol it referenced, and
# the forbidden symbols that came with it. The chains are read from the link
# map (-Map with --cref, --no-demangle) and the archive's relocations.
# Usage: check-target-symbols.sh IMAGE.elf IMAGE.elf.map LIBAMP.a
set -euo pipefail

elf=$1
map=$2
lib=$3
nm=${NM:-arm-none-eabi-nm}
objdump=${OBJDUMP:-arm-none-eabi-objdump}
cxxfilt=${CXXFILT:-arm-none-eabi-c++filt}

forbidden='^(malloc|free|calloc|realloc|_(malloc|free|calloc|realloc)_r|_Znw.*|_Zna.*|_Zdl.*|_Zda.*'
forbidden+='|__cxa_(allocate_exception|throw|rethrow|begin_catch|end_catch|call_unexpected)'
forbidden+='|__gxx_personality_.*|__aeabi_unwind_cpp_pr[0-9]|_Unwind_.*|__gnu_unwind_.*|_ZSt9terminatev'
forbidden+='|_ZTI.*|_ZTS.*'
forbidden+='|_ZSt4cout|_ZSt4cerr|_ZNSo.*|_ZNSt8ios_base.*'
forbidden+='|_*[a-z]*printf(_r)?|__s?sprint_r|puts|_puts_r|putchar|_putchar_r)$'

symbols=$("$nm" -g --defined-only "$elf")  # fails the check if the image is missing
found=$(echo "$symbols" | awk '{print $NF}' | grep -E "$forbidden" | sort -u || true)
if [ -z "$found" ]; then
  echo "link check: $(basename "$elf") has no heap, exception, RTTI, iostream or printf code"
  exit 0
fi

# "member section symbol" for every relocation in libamp.a: which function
# (section .text.<name>) of which object references which symbol.
relocs=$(mktemp)
trap 'rm -f "$relocs"' EXIT
"$objdump" -r "$lib" | awk '
  /file format/ { member = $1; sub(/:$/, "", member); next }
  /^RELOCATION RECORDS FOR/ { section = $4; gsub(/[\[\]:]/, "", section); next }
  NF >= 3 && $1 ~ /^[0-9a-f]+$/ { print member, section, $3 }' >"$relocs"

{
  echo "link check FAILED: $(basename "$elf") contains code lib/ must not use (heap, exceptions, RTTI, stdio):"
  awk -v want="$found" -v relocs="$relocs" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function is_lib(f) { return f ~ /libamp[.]a[(][^()]*[)]$/ }
    function member(f) { sub(/^.*[(]/, "", f); sub(/[)]$/, "", f); return f }
    function short(f) { sub(/^.*\//, "", f); return f }
    BEGIN {
      n = split(want, list, "\n"); for (i = 1; i <= n; ++i) wanted[list[i]] = 1
      while ((getline line < relocs) > 0) {
        split(line, r, " ")
        if (index(users[r[1], r[3]] " ", " " r[2] " ") == 0) users[r[1], r[3]] = users[r[1], r[3]] " " r[2]
      }
      close(relocs)
    }
    /^Archive member included/ { section = "archive"; next }
    /^(Memory Configuration|Discarded input sections|Allocating common|Linker script)/ { section = "" }
    /^Cross Reference Table/ { section = "cref"; next }
    # "archive(member)  referrer (symbol)", the referrer often on the next line.
    section == "archive" && NF > 0 {
      if ($0 ~ /^[^ \t]/) { m = $1; rest = trim(substr($0, length($1) + 1)) } else rest = trim($0)
      if (rest == "") next
      i = match(rest, /[(][^()]*[)]$/)
      pulled_by[m] = trim(substr(rest, 1, i - 1)); pulled_for[m] = substr(rest, i + 1, RLENGTH - 2)
    }
    # "symbol  defining-file", then one indented line per referencing file.
    section == "cref" && NF > 0 && $1 != "Symbol" {
      if ($0 ~ /^[^ \t]/) { sym = $1; if (NF > 1) defined_in[sym] = $2; else need_def = 1; next }
      if (need_def) { defined_in[sym] = $1; need_def = 0 }
    }
    END {
      # Walk from each forbidden symbol towards the object that pulled its
      # archive member in, until an object of libamp.a (or of the image).
      for (s in wanted) {
        obj = (s in defined_in) ? defined_in[s] : ""
        if (obj == "") continue
        entry_sym = s; entry_obj = obj
        for (depth = 0; !is_lib(obj) && (obj in pulled_by) && pulled_by[obj] != "" && depth < 20; ++depth) {
          entry_sym = pulled_for[obj]; entry_obj = obj; obj = pulled_by[obj]
        }
        key = obj SUBSEP entry_sym SUBSEP entry_obj
        if (!(key in group)) order[++groups] = key
        group[key] = group[key] " " s; count[key]++
      }
      for (g = 1; g <= groups; ++g) {
        split(order[g], k, SUBSEP)
        if (is_lib(k[1]) && k[1] == k[3]) {
          print "  " member(k[1]) " defines " k[2]
        } else if (is_lib(k[1])) {
          fns = users[member(k[1]), k[2]]
          gsub(/ [.]text[.]/, " ", fns); gsub(/ [.][a-z.]*[.]/, " ", fns)
          print "  " member(k[1]) " references " k[2] (fns == "" ? "" : ", in:" fns)
          print "      which links " short(k[3]) ", bringing " count[order[g]] " forbidden symbols:"
        } else {
          print "  " short(k[1]) " (not the library) brings " count[order[g]] " forbidden symbols:"
        }
        # The referenced symbol first, then the others sorted; at most 12.
        n = split(trim(group[order[g]]), syms, " ")
        for (i = 2; i <= n; ++i)
          for (j = i; j > 1 && (syms[j] == k[2] || (syms[j - 1] != k[2] && syms[j] < syms[j - 1])); --j) {
            t = syms[j]; syms[j] = syms[j - 1]; syms[j - 1] = t
          }
        line = "        "
        for (i = 1; i <= n && i <= 12; ++i) line = line (i > 1 ? ", " : "") syms[i]
        if (n > 12) line = line ", ... (" n - 12 " more)"
        print line
      }
    }' "$map" || printf '  (could not trace them in %s) the symbols:\n%s\n' "$map" "$found"
  echo "lib/ must stay free of heap, exceptions, RTTI and stdio (see README, \"Cortex-M builds\")."
} | "$cxxfilt" >&2
rm -f "$elf"  # so that the next build links and checks again
exit 1
