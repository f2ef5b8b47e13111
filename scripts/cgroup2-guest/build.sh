#!/bin/sh
# Downloads the stock Debian kernel package (if needed), extracts vmlinuz and the
# handful of modules the guest needs, and builds initramfs.cpio.gz.
# (The project's copy of /work/shared/tools/cgroup2-guest: CI runs from a fresh
# clone. Needs apt-get, dpkg, python3 and busybox-static: scripts/install-deps.sh.)
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
D=${CGROUP2_GUEST_DIR:-/var/tmp/cgroup2-guest}
mkdir -p "$D"
cd "$D"
if ! ls linux-image-6.1.*-amd64_*.deb >/dev/null 2>&1; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/ {print $2; exit}')
    if [ -z "$pkg" ]; then   # a fresh container has no package lists yet
        apt-get update -qq
        pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6/ {print $2; exit}')
    fi
    apt-get download "$pkg"
fi
deb=$(ls linux-image-6.1.*-amd64_*.deb | head -1)
rm -rf kpkg && mkdir kpkg && dpkg -x "$deb" kpkg
KVER=$(ls kpkg/lib/modules | head -1)
cp kpkg/boot/vmlinuz-$KVER vmlinuz
echo "$KVER" > kernel-version
# Uncompressed ELF vmlinux: qemu boots it through the PVH entry point, which
# skips the in-guest xz decompressor (that alone costs ~7 s under TCG).
python3 - <<'PY'
import lzma
d = open('vmlinuz', 'rb').read()
i = d.find(b'\xfd7zXZ\x00')
assert i > 0, 'no xz stream in vmlinuz'
out = lzma.LZMADecompressor().decompress(d[i:])
assert out[:4] == b'\x7fELF'
open('vmlinux', 'wb').write(out)
PY

rm -rf initramfs && mkdir -p initramfs/bin initramfs/lib/modules initramfs/proc initramfs/sys initramfs/dev
cp /bin/busybox initramfs/bin/busybox
for a in sh mount umount insmod mkdir cat cp echo ln switch_root poweroff sleep ls; do
    ln -s busybox initramfs/bin/$a
done
M=kpkg/lib/modules/$KVER/kernel
for f in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/char/virtio_console \
         fs/netfs/netfs fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p \
         fs/overlayfs/overlay; do
    cp $M/$f.ko initramfs/lib/modules/
done
cp "$SRC/init" initramfs/init && chmod 755 initramfs/init
cp "$SRC/stage2.sh" initramfs/stage2.sh
(cd initramfs && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 > initramfs.cpio.gz
ls -la vmlinuz vmlinux initramfs.cpio.gz
