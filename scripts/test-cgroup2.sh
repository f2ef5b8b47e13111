#!/usr/bin/env bash
# The cgroup v2 lane: boots a throw-away VM with a pure cgroup v2 hierarchy
# (scripts/cgroup2-guest: a stock Debian 6.1 kernel under qemu, built on first
# use) and runs test/cgroup2/run.sh there against RUNTIME (default: this
# checkout's dist/ocirt; RUNTIME=/usr/sbin/runc checks the tests themselves).
# The host stays cgroup v1/hybrid and untouched: the guest sees / read-only.
# Prints the guest's TAP lines; exits non-zero if a check failed or the VM did not run.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${RUNTIME:-$PWD/dist/ocirt}
export CGROUP2_GUEST_DIR=${CGROUP2_GUEST_DIR:-/var/tmp/cgroup2-guest}
# 1 GiB is plenty for the containers (they are limited to at most 128 MiB) and
# keeps the tmpfs upper layer of the guest's root small.
export KVM2_MEM=${KVM2_MEM:-1024} KVM2_TIMEOUT=${KVM2_TIMEOUT:-600}

command -v qemu-system-x86_64 >/dev/null || { echo "not ok 1 - cgroup v2 guest: qemu-system-x86_64 is missing (scripts/install-deps.sh installs qemu-system-x86)"; exit 1; }
case $RUNTIME in /*) ;; *) RUNTIME=$(command -v "$RUNTIME") || { echo "not ok 1 - RUNTIME $RUNTIME not found"; exit 1; } ;; esac

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
# In the guest, a runtime from this checkout is copied to the guest's /run
# (tmpfs) first, with the addon and the stage beside it: the checkout is a 9p share without page cache, where every
# exec of the 110 MB dist/ocirt reads it again (2-6 s per command instead of 1).
guest_command=$(cat <<GUEST
rt=$(printf %q "$RUNTIME")
case \$rt in
  "\$PWD"/*) mkdir -p /run/cgroup2-runtime && cp "\$rt" /run/cgroup2-runtime/ &&
            for f in "\$(dirname "\$rt")"/*.node "\$(dirname "\$rt")"/ocirt-stage; do [ ! -e "\$f" ] || cp "\$f" /run/cgroup2-runtime/; done &&
            rt=/run/cgroup2-runtime/\$(basename "\$rt") ;;
esac
RUNTIME=\$rt GUEST_MODULES=$(printf %q "$CGROUP2_GUEST_DIR")/kpkg/lib/modules/\$(uname -r) sh test/cgroup2/run.sh
GUEST
)
scripts/cgroup2-guest/run-in-guest.sh "$guest_command" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
echo "# cgroup v2 guest: exit $rc after $(( $(date +%s) - start )) s"
if [ "$rc" -eq 125 ]; then echo "not ok - the cgroup v2 guest did not run (see the console log above)"; exit 1; fi
grep -qE '^1\.\.[0-9]+$' "$out" || { echo "not ok - test/cgroup2/run.sh did not finish"; exit 1; }
exit "$rc"
