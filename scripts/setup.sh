#!/usr/bin/env bash
# The README's first command: install everything, build, and run a demo container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
demo=$(mktemp -d /tmp/ocirt-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
bash scripts/make-bundle.sh "$demo" sh -c 'echo "hello from a container: $(hostname), pid $$, $(id)"; cat /proc/self/status | grep -E "^(NoNewPrivs|CapEff)"'
echo "== ./dist/ocirt run --bundle $demo demo-$$"
./dist/ocirt --root "$demo/state" run --bundle "$demo" "demo-$$"
