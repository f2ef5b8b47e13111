#!/usr/bin/env bash
# The README's second command (and CI's): install, build, then run every test
# against the real kernel: unit and integration tests (test/) and the
# conformance suite (conformance/) against dist/ocirt.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
unset NODE_EXTRA_CA_CERTS

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
echo "== typecheck"
npx --no-install tsc --noEmit -p . || status=1

echo "== tap test/*.test.ts conformance/*.test.ts (RUNTIME=dist/ocirt)"
RUNTIME="$PWD/dist/ocirt" npx --no-install tap --reporter=tap test/*.test.ts conformance/*.test.ts > "$out/tap.txt" 2>&1
tap_status=$?
cat "$out/tap.txt"
[ $tap_status -eq 0 ] || status=1

# tap's own summary is not a line CI reads: count the top-level results.
passed=$(grep -cE '^ok [0-9]+' "$out/tap.txt" || true)
failed=$(grep -cE '^not ok [0-9]+' "$out/tap.txt" || true)
echo
echo "tests: $passed passed, $failed failed"
exit $status
