#!/usr/bin/env bash
# clang-format (dry run) and clang-tidy over lib/; non-zero exit on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

headers=$(find lib -name '*.h' | sort)
sources=$(find lib -name '*.cpp' | sort)
clang-format --dry-run --Werror $headers $sources
echo "clang-format: lib/ is clean"

db=${AMP_BUILD_DIR:-build/host}
[ -f $db/compile_commands.json ] || cmake --preset host >/dev/null
if ! clang-tidy -p $db --quiet $sources > "$db/clang-tidy.log" 2>&1; then
  grep -E "(error|warning):" "$db/clang-tidy.log" || cat "$db/clang-tidy.log"
  echo "clang-tidy: findings in lib/ (see above)" >&2
  exit 1
fi
echo "clang-tidy: lib/ is clean"
