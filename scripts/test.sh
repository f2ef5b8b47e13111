#!/usr/bin/env bash
# The README's second command (and CI's): install, build, then run every test
# against the real kernel: unit and integration tests (test/) and the
# conformance suite (conformance/) against dist/ocirt, then the benchmark's
# short mode beside runc and crun.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
unset NODE_EXTRA_CA_CERTS

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
echo "== typecheck"
npx --no-install tsc --noEmit -p . || status=1

# Style and lint: eslint (neostandard, eslint.config.mjs) names each file and
# rule; clang-format --dry-run -Werror names each native/ file that differs.
echo "== lint (eslint, clang-format)"
npx --no-install eslint . || status=1
# src/linux/os-constants.generated.ts is what scripts/build-constants.mjs writes on this platform.
node scripts/build-constants.mjs --check || status=1
bash scripts/format-native.sh --check || status=1
# The child's objects (docs/design.md "Native files") call no allocator and
# throw nothing: nm -u on each of them.
bash scripts/check-child-symbols.sh || status=1

# The unit tier: the planner under fixed host facts, the plan's wire round
# trip through the addon, every failure step's name. No root, no dist/ocirt.
echo "== npm run test:unit (test/unit/)"
npm run --silent test:unit -- --reporter=tap > "$out/unit.txt" 2>&1
unit_status=$?
cat "$out/unit.txt"
[ $unit_status -eq 0 ] || status=1

echo "== tap test/*.test.ts conformance/*.test.ts (RUNTIME=dist/ocirt)"
RUNTIME="$PWD/dist/ocirt" npx --no-install tap --reporter=tap test/*.test.ts conformance/*.test.ts > "$out/tap.txt" 2>&1
tap_status=$?
cat "$out/tap.txt"
[ $tap_status -eq 0 ] || status=1

# test/clients/: containerd (ctr and CRI), podman, Docker and buildah drive
# dist/ocirt (CLIENT_RUNTIME's default), and rootless podman and buildah as an
# unprivileged user (rootless.test.ts). A run of their own: podman mounts on the host while it works,
# which the other tests' "host mount table unchanged" checks would see.
echo "== tap test/clients/*.test.ts (CLIENT_RUNTIME=dist/ocirt)"
npx --no-install tap --reporter=tap test/clients/*.test.ts > "$out/clients.txt" 2>&1
clients_ocirt_status=$?
cat "$out/clients.txt"
[ $clients_ocirt_status -eq 0 ] || status=1

# cgroup v2 (this host may be v1): a qemu guest with a pure cgroup v2 hierarchy
# runs test/cgroup2/run.sh against dist/ocirt and prints its own ok/not ok lines.
echo "== scripts/test-cgroup2.sh (cgroup v2 guest, RUNTIME=dist/ocirt)"
scripts/test-cgroup2.sh > "$out/cgroup2.txt" 2>&1
cgroup2_status=$?
cat "$out/cgroup2.txt"
[ $cgroup2_status -eq 0 ] || status=1

# The client tests again with runc as the runtime: they must pass with runc,
# which proves the tests themselves (and any marked todo against ocirt).
echo "== tap test/clients/*.test.ts (CLIENT_RUNTIME=/usr/sbin/runc)"
CLIENT_RUNTIME=/usr/sbin/runc npx --no-install tap --reporter=tap test/clients/*.test.ts > "$out/clients-runc.txt" 2>&1
clients_status=$?
grep -E '^(not )?ok |^# \{' "$out/clients-runc.txt"
[ $clients_status -eq 0 ] || { cat "$out/clients-runc.txt"; echo "client tests failed with runc (exit $clients_status)"; status=1; }

# The benchmark in its short mode, so that it cannot rot: it reports timings
# and fails only if the harness breaks or an ocirt command fails.
echo "== npm run bench -- --quick"
npm run --silent bench -- --quick > "$out/bench.txt" 2>&1
bench_status=$?
cat "$out/bench.txt"
[ $bench_status -eq 0 ] || { echo "benchmark failed (exit $bench_status)"; status=1; }

# tap's summary ("# { total: N, pass: N, fail: N, skip: N }") is not a line CI
# reads: restate it as "tests: N passed, N failed, N skipped".
summary=$(grep -hE '^# \{ total: ' "$out/tap.txt" | tail -1)
clients_summary=$(grep -hE '^# \{ total: ' "$out/clients.txt" | tail -1)
unit_summary=$(grep -hE '^# \{ total: ' "$out/unit.txt" | tail -1)
count() { local n=0 v; for line in "$summary" "$clients_summary" "$unit_summary"; do v=$(echo "$line" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+'); n=$(( n + ${v:-0} )); done; echo $n; }
# CI shows only the tail of this output: name every failing test here, last,
# with the first lines of its diagnostic (tap's "not ok" lines, nested ones
# included, so the innermost name and its message are both shown).
failures() {
  local f
  for f in "$@"; do
    grep -vE '# (TODO|SKIP)' "$f" | grep -qE '^\s*not ok ' || continue
    echo "-- failures in $(basename "$f" .txt):"
    # The "not ok" lines, and under each its diff (expected -, actual +).
    awk '/^[[:space:]]*not ok .*# (TODO|SKIP)/{n=0; next}
         /^[[:space:]]*not ok /{print; n=1; next}
         n && /^[[:space:]]+[-+][^-+]/{print}
         /^[[:space:]]*\.\.\.$/{n=0}' "$f" | head -60
  done
}
echo
failures "$out/unit.txt" "$out/tap.txt" "$out/clients.txt" "$out/cgroup2.txt"
echo "tests: $(count pass) passed, $(count fail) failed, $(( $(count skip) + $(count todo) )) skipped"
echo "cgroup v2 lane: $(grep -c '^ok ' "$out/cgroup2.txt") passed, $(grep -c '^not ok ' "$out/cgroup2.txt") failed"
[ -n "$summary" ] && [ -n "$clients_summary" ] && [ -n "$unit_summary" ] || { echo "no tap summary: a test run did not complete"; status=1; }
exit $status
