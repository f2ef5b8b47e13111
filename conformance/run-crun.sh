#!/bin/sh
# Run the conformance suite against crun 1.8.1 on this machine.
#
# crun 1.8.1 only works here inside a private mount namespace with the hybrid
# cgroup2 mount (/sys/fs/cgroup/unified) unmounted, and it refuses configs
# whose ociVersion is newer than it knows ("unknown version specified"), so
# the bundles say 1.0.2-dev. Extra arguments go to tap.
set -eu
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
CRUN=${CRUN:-$(command -v crun)}
exec unshare -m sh -c '
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  CONFORMANCE_OCI_VERSION=1.0.2-dev RUNTIME="$0" exec npx tap "$@" conformance/*.test.ts
' "$CRUN" "$@"
