#!/usr/bin/env bash
# clang-format over native/ (.clang-format). With --check, changes nothing and
# fails naming each file whose formatting differs.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(native/*.cc native/*.h)
if [ "${1:-}" = --check ]; then
  clang-format --dry-run -Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
