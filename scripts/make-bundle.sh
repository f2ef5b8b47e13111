#!/usr/bin/env bash
# make-bundle.sh DIR [ARGS...]: a bundle with a busybox-static rootfs and
# ocirt's default config.json (runc's) whose process.args are ARGS (default:
# sh), with process.terminal false, so that it runs without a console socket.
set -euo pipefail
dir=$1; shift
ocirt=$(cd "$(dirname "$0")/.." && pwd)/dist/ocirt
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp" "$dir/rootfs/etc"
cp /bin/busybox "$dir/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$dir/rootfs/bin/$applet" ] || ln -s busybox "$dir/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$dir/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$dir/rootfs/etc/group"
rm -f "$dir/config.json"
"$ocirt" spec --bundle "$dir"
node -e '
  const fs = require("fs"); const f = process.argv[1];
  const c = JSON.parse(fs.readFileSync(f, "utf8")); c.process.terminal = false;
  if (process.argv.length > 2) c.process.args = process.argv.slice(2);
  fs.writeFileSync(f, JSON.stringify(c, null, "\t"))' "$dir/config.json" "$@"
