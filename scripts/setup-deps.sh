#!/usr/bin/env bash
# Installs the Debian packages a make target needs, and only those missing.
# Usage: scripts/setup-deps.sh demo|test|bench|fuzz
set -euo pipefail

profile=${1:-test}
base=(cmake ninja-build g++ make pkg-config libfmt-dev libcli11-dev)
case "$profile" in
  demo)  pkgs=("${base[@]}") ;;
  test)  pkgs=("${base[@]}" googletest libgtest-dev gcc-arm-none-eabi libnewlib-arm-none-eabi
               libstdc++-arm-none-eabi-newlib qemu-system-arm clang-14 libclang-rt-14-dev
               clang-format clang-tidy valgrind) ;;
  bench) pkgs=("${base[@]}" libbenchmark-dev valgrind gnuplot-nox python3) ;;
  fuzz)  pkgs=("${base[@]}" clang-14 libclang-rt-14-dev) ;;
  *) echo "setup-deps: unknown profile '$profile' (demo|test|bench|fuzz)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
