#!/usr/bin/env bash
# Host-side checks of the Zephyr sample (Zephyr itself cannot be built here):
#  - every CONFIG_ symbol of the sample's .conf files, Kconfig.sysbuild and
#    sysbuild.cmake, and every devicetree compatible and property of its
#    overlays, is listed in doc/zephyr-compat.md (where each is traced to the
#    Zephyr file that defines it);
#  - both cores have the files the layout requires, each main.cpp stays glue
#    (at most 150 non-blank lines) and logs under its own module;
#  - the module and the manifest say what the sample needs;
#  - the twister regexes of sample.yaml match the host demo's transcript
#    (when the demo binary is given).
# Usage: check_sample.sh <repository root> [amp-demo-loopback binary]
set -uo pipefail

root=${1:?usage: check_sample.sh <repository root> [demo binary]}
demo=${2:-}
sample=$root/samples/open_amp_cpp
compat=$sample/doc/zephyr-compat.md
failures=0
checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); }

[ -f "$compat" ] || { echo "FAIL: $compat is missing"; exit 1; }

# 1. Kconfig symbols: the .conf files, Kconfig.sysbuild, the CMake files and
#    the sources of the sample, and the module's CMake file. (SB_CONFIG_ names
#    are the sample's own sysbuild options, checked below; AMP_CONFIG_ names
#    are the library's -D options.)
files=$(find "$sample" -name '*.conf' -o -name 'Kconfig.sysbuild' -o -name '*.cmake' \
             -o -name 'CMakeLists.txt' -o -name '*.cpp' -o -name '*.c' -o -name '*.h' | sort)
symbols=$(grep -hoE '(^|[^A-Za-z0-9_])CONFIG_[A-Z0-9_]+' $files "$root/zephyr/CMakeLists.txt" |
          grep -oE 'CONFIG_[A-Z0-9_]+' | sort -u)
check
grep -qE '^CONFIG_' $(find "$sample" -name 'prj*.conf') || fail "no CONFIG_ symbol in the prj*.conf files"
for s in $symbols; do
    check
    grep -qF "\`$s\`" "$compat" || fail "$s is used by the sample but not listed in doc/zephyr-compat.md"
done
# The sysbuild symbols of Kconfig.sysbuild, as SB_CONFIG_<name>.
for s in $(grep -hoE '^config [A-Z0-9_]+' "$sample/Kconfig.sysbuild" | awk '{print $2}'); do
    check
    grep -q "SB_CONFIG_$s" "$compat" || fail "SB_CONFIG_$s is not listed in doc/zephyr-compat.md"
done

# 2. Devicetree: compatibles and property names of every overlay.
overlays=$(find "$sample" -name '*.overlay' | sort)
[ -n "$overlays" ] || fail "no board overlay found"
for c in $(grep -hoE 'compatible = "[^;]*;' $overlays | grep -oE '"[^"]+"' | tr -d '"' | sort -u); do
    check
    grep -q "\`$c\`" "$compat" || fail "compatible $c is not listed in doc/zephyr-compat.md"
done
for p in $(grep -hoE '^[[:space:]]*[#a-z][a-z0-9,#_-]*[[:space:]]*=' $overlays |
           tr -d ' \t=' | sort -u); do
    check
    grep -qF "\`$p\`" "$compat" || fail "devicetree property $p is not listed in doc/zephyr-compat.md"
done

# 3. Layout: both cores, both backends.
for core in cm7 cm4; do
    for f in CMakeLists.txt prj.conf prj_icmsg.conf src/main.cpp \
             boards/mimxrt1160_evk_mimxrt1166_${core}.overlay \
             boards/mimxrt1160_evk_mimxrt1166_${core}_icmsg.overlay; do
        check
        [ -f "$sample/$core/$f" ] || fail "$core/$f is missing"
    done
    main=$sample/$core/src/main.cpp
    [ -f "$main" ] || continue
    check
    lines=$(grep -cv '^[[:space:]]*$' "$main")
    [ "$lines" -le 150 ] || fail "$core/src/main.cpp has $lines non-blank lines (at most 150: keep it glue)"
    check
    grep -q "LOG_MODULE_REGISTER(${core}_main" "$main" || fail "$core/src/main.cpp does not register log module ${core}_main"
    check
    grep -q 'wait_bound' "$main" || fail "$core/src/main.cpp does not wait for the endpoint to bind"
done
for f in CMakeLists.txt sysbuild.cmake Kconfig.sysbuild sample.yaml README.rst \
         common/include/openamp_common.h; do
    check
    [ -f "$sample/$f" ] || fail "$f is missing"
done

# 4. Module and manifest.
check
grep -qE '^name: amp$' "$root/zephyr/module.yml" || fail "zephyr/module.yml: no 'name: amp'"
check
grep -qE '^[[:space:]]+cmake: zephyr$' "$root/zephyr/module.yml" || fail "zephyr/module.yml: no build cmake"
check
grep -qE '^[[:space:]]+kconfig: zephyr/Kconfig$' "$root/zephyr/module.yml" || fail "zephyr/module.yml: no build kconfig"
for o in AMP AMP_CRC AMP_MAX_PENDING AMP_MAX_STREAMS; do
    check
    grep -qE "^(menu)?config $o\$" "$root/zephyr/Kconfig" || fail "zephyr/Kconfig: no option $o"
done
check
grep -qE 'revision: v[0-9]+\.[0-9]+\.[0-9]+$' "$root/west.yml" || fail "west.yml: zephyr not pinned to a release tag"
allow=$(awk '/name-allowlist:/{f=1;next} f&&/^[[:space:]]*- /{print $2;next} f{f=0}' "$root/west.yml" | sort | tr '\n' ' ')
check
[ "$allow" = "cmsis_6 hal_nxp libmetal open-amp " ] || fail "west.yml: allowlist is '$allow'"

# 5. The twister regexes against the host demo.
if [ -n "$demo" ]; then
    # With its rpc scenario: the firmware calls the CM4's services too.
    out=$("$demo" 10 rpc) || fail "the host demo failed"
    n=0
    while IFS= read -r re; do
        check
        n=$((n + 1))
        printf '%s\n' "$out" | grep -qE -- "$re" || fail "sample.yaml regex '$re' does not match the host demo's output"
    done < <(sed -n "s/^[[:space:]]*- '\(.*\)'[[:space:]]*$/\1/p" "$sample/sample.yaml")
    check
    [ "$n" -ge 3 ] || fail "found only $n console regexes in sample.yaml"
fi

echo "check_sample: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
