#!/usr/bin/env bash
# Installs what ocirt needs to build and test on Debian 12, as root:
# Debian packages (compiler, busybox for root filesystems, the runc/crun peers
# for conformance and benchmarks, strace for the benchmarks and the init's
# lookup budget (test/init-syscalls.test.ts), criu for checkpoint/restore, containerd and
# podman, docker.io and buildah for the client tests) and the npm packages,
# then builds dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # adds ~70 ms to every node start on these machines

apt_packages=(busybox-static g++ make python3 clang-format libseccomp-dev runc crun criu hyperfine util-linux procps uidmap strace)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
# The clients the client tests drive (test/clients/): without their
# recommends (slirp4netns, dbus, apparmor...), which the tests do not use.
# catatonit: the static binary of the CRI tests' pause image. docker.io brings
# dockerd 20.10, the docker 20.10 CLI (/usr/bin/docker) and docker-init
# (--init); the tests start their own private dockerd. uidmap
# (newuidmap/newgidmap) serves rootless podman and buildah (rootless.test.ts).
client_packages=(containerd podman conmon catatonit docker.io buildah uidmap)
missing_clients=()
for p in "${client_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing_clients+=("$p"); done
if [ ${#missing[@]} -gt 0 ] || [ ${#missing_clients[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]} ${missing_clients[*]}"
  apt-get update -qq
  export DEBIAN_FRONTEND=noninteractive
  # Wait for a concurrent apt (another job on the machine) instead of failing.
  [ ${#missing[@]} -eq 0 ] || apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  [ ${#missing_clients[@]} -eq 0 ] || apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing_clients[@]}" >/dev/null
fi

# qemu for the cgroup v2 lane (scripts/test-cgroup2.sh), without its recommends (a GUI)
if ! dpkg -s qemu-system-x86 >/dev/null 2>&1; then
  echo "== apt-get install qemu-system-x86"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== npm run build"
npm run --silent build
