#!/usr/bin/env bash
# The README's first command: install everything, build, and run a demo container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
demo=$(mktemp -d /tmp/ocirt-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
bash scripts/make-bundle.sh "$demo" sh -c 'echo "hello from a container: $(hostname), pid $$, $(id), cgroup $(grep -m1 pids /proc/self/cgroup || head -1 /proc/self/cgroup)"; cat /proc/self/status | grep -E "^(NoNewPrivs|CapEff)"; echo "pids.max: $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"'
# A cgroup of the demo's own with a limit (removed with the container), not one below the caller's.
node -e 'const f=process.argv[1]; const fs=require("fs"); const c=JSON.parse(fs.readFileSync(f)); c.linux.cgroupsPath="/ocirt-demo-"+process.argv[2]; c.linux.resources={...c.linux.resources, pids:{limit:64}}; fs.writeFileSync(f, JSON.stringify(c, null, 2))' "$demo/config.json" "$$"
echo "== ./dist/ocirt run --bundle $demo demo-$$"
./dist/ocirt --root "$demo/state" run --bundle "$demo" "demo-$$"
