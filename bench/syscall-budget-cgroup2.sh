#!/usr/bin/env bash
# bench/syscall-budget-cgroup2.sh [syscall-budget.mjs flags]: runs
# bench/syscall-budget.mjs in the pure cgroup v2 qemu guest
# (scripts/cgroup2-guest; scripts/test-cgroup2.sh boots it the same way) and
# prints its Markdown tables (--out FILE, under this checkout, writes them
# there after each runtime instead). The guest sees the host's / read-only, so it
# has the host's runc, crun, strace and node. Under TCG only the counts are
# comparable with the host, never the times.
set -uo pipefail
cd "$(dirname "$0")/.."
export CGROUP2_GUEST_DIR=${CGROUP2_GUEST_DIR:-/var/tmp/cgroup2-guest}
# One lifecycle of all three runtimes takes 20 to 30 minutes under TCG on a loaded 2-core host.
export KVM2_MEM=${KVM2_MEM:-1536} KVM2_TIMEOUT=${KVM2_TIMEOUT:-3600}
command -v qemu-system-x86_64 >/dev/null || { echo "syscall-budget-cgroup2: qemu-system-x86_64 is missing (scripts/install-deps.sh installs qemu-system-x86)" >&2; exit 1; }
[ -x dist/ocirt ] || { echo "syscall-budget-cgroup2: dist/ocirt is missing: npm run build" >&2; exit 1; }
args=$(printf ' %q' "$@")
# The runtime is copied to the guest's /run (tmpfs) first, with its addon and
# stage: the checkout is a 9p share without page cache, where every exec of
# the 110 MB dist/ocirt would read it again.
scripts/cgroup2-guest/run-in-guest.sh "
mkdir -p /run/budget && cp dist/ocirt dist/*.node dist/ocirt-stage /run/budget/ &&
node bench/syscall-budget.mjs --ocirt /run/budget/ocirt$args"
