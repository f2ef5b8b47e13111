#!/bin/bash
# run-in-guest.sh 'COMMAND'
#
# Boots a throw-away VM (stock Debian 6.1 kernel + busybox initramfs) whose root
# filesystem is the host's / (9p, read-only) with a tmpfs overlay on top, whose
# /sys/fs/cgroup is a pure cgroup v2 hierarchy (all controllers enabled in the
# root's cgroup.subtree_control, cgroup v1 disabled with cgroup_no_v1=all), and
# runs COMMAND there as root (bash, like `bash -c COMMAND`), with the current
# directory shared read-write at the same path.  COMMAND's stdout/stderr come
# out on this script's stdout/stderr; its exit status is returned.
# Exit status 125 = the VM itself failed (the console log tail is printed).
#
# Environment knobs:
#   KVM2_ACCEL=auto|tcg|kvm  accelerator.  auto (default) = kvm only if a
#                        hardware-virt KVM module (kvm_intel/kvm_amd) is loaded,
#                        else tcg.  This host's /dev/kvm is PVM (kvm_pvm), which
#                        cannot run a stock kernel -> tcg; see README.md
#   KVM2_CPU=model       TCG CPU model (default max)
#   KVM2_MEM=MiB         guest memory (default 3072)
#   KVM2_SMP=N           vCPUs (default 2)
#   KVM2_PASS_ENV="A B"  host environment variables to export inside the guest
#   KVM2_TMPFS_DIRS="/var/lib/x ..."  extra dirs to hide behind an empty tmpfs
#   KVM2_CGROUP=name     run COMMAND in /sys/fs/cgroup/name instead of the root
#                        cgroup (systemd-like: root cgroup then has no processes)
#   KVM2_TIMEOUT=secs    kill the VM after this long (default 1800)
#   KVM2_KEEP=1          keep the per-run dir ($D/runs/run.*) incl. console.log
#   KVM2_APPEND="..."    extra kernel command line (e.g. loglevel=7)
#   KVM2_MACHINE=pc|q35  machine type (default pc)
set -u
D=${CGROUP2_GUEST_DIR:-/var/tmp/cgroup2-guest}
if [ $# -lt 1 ]; then echo "usage: $0 'COMMAND'" >&2; exit 2; fi
CMD="$*"
CWD=$(pwd -P)

[ -f $D/vmlinux ] && [ -f $D/initramfs.cpio.gz ] || "$(dirname "$0")/build.sh" >&2 || { echo "building the guest kernel and initramfs failed" >&2; exit 125; }
case $CWD/ in
    /proc/*|/sys/*|/dev/*) echo "refusing to share $CWD read-write with the guest" >&2; exit 2 ;;
esac
mkdir -p $D/runs
RUN=$(mktemp -d $D/runs/run.XXXXXX) || exit 125
chmod 755 "$RUN"
printf '%s\n' "$CMD" > "$RUN/cmd.sh"
printf '%s\n' "$CWD" > "$RUN/cwd"
: > "$RUN/env"
for v in ${KVM2_PASS_ENV:-}; do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}" >> "$RUN/env"
done
[ -n "${KVM2_CGROUP:-}" ] && printf 'KVM2_CGROUP=%q\n' "$KVM2_CGROUP" >> "$RUN/env"
for t in ${KVM2_TMPFS_DIRS:-}; do
    printf 'mkdir -p %q && mount -t tmpfs -o mode=755 tmpfs %q\n' "$t" "$t" >> "$RUN/env"
done

ACCEL=${KVM2_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
    ACCEL=tcg
    if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
        ACCEL=kvm
    fi
fi
case $ACCEL in
    kvm) ACC=(-accel kvm -cpu host) ;;
    tcg) ACC=(-accel tcg,thread=multi,tb-size=256 -cpu ${KVM2_CPU:-max}) ;;
    *) echo "KVM2_ACCEL must be auto, kvm or tcg" >&2; exit 2 ;;
esac

q() { printf '%s' "${1//,/,,}"; }   # qemu option values: ',' must be doubled
SHARES=(-virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap"
        -virtfs "local,path=$(q "$RUN"),mount_tag=kvm2ctl,security_model=passthrough,multidevs=remap")
if [ "$CWD" != / ]; then
    SHARES+=(-virtfs "local,path=$(q "$CWD"),mount_tag=kvm2work,security_model=passthrough,multidevs=remap")
fi

# stdout/stderr: two virtio-serial ports (kvm2.stdout / kvm2.stderr) backed by
# FIFOs that are relayed by cat; ttyS0 = kernel console -> console.log.
# (qemu must not reopen /dev/fd/1 itself: that makes a new open file
# description whose offset is not shared with ours, so output redirected to a
# regular file would be overwritten.  8250 serial ports also work but cost one
# VM exit + one write(2) per byte: ~200 KB/s under TCG.)
mkfifo "$RUN/out.out" "$RUN/out.in" "$RUN/err.out" "$RUN/err.in" || exit 125
cat "$RUN/out.out" & relay1=$!
cat "$RUN/err.out" >&2 & relay2=$!

qpid=
trap '[ -n "$qpid" ] && kill -TERM $qpid 2>/dev/null' INT TERM HUP
timeout --foreground -k 5 "${KVM2_TIMEOUT:-1800}" \
qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot -nic none \
    -machine "${KVM2_MACHINE:-pc}" "${ACC[@]}" -smp "${KVM2_SMP:-2}" -m "${KVM2_MEM:-3072}" \
    -kernel "${KVM2_KERNEL:-$D/vmlinux}" -initrd $D/initramfs.cpio.gz \
    -append "console=ttyS0 loglevel=4 panic=-1 cgroup_no_v1=all rdinit=/init ${KVM2_BASE_APPEND-mitigations=off} ${KVM2_APPEND:-}" \
    -serial file:"$RUN/console.log" \
    -device virtio-serial-pci,id=vser \
    -chardev pipe,id=out,path="$RUN/out" -device virtserialport,chardev=out,name=kvm2.stdout \
    -chardev pipe,id=err,path="$RUN/err" -device virtserialport,chardev=err,name=kvm2.stderr \
    "${SHARES[@]}" </dev/null &
qpid=$!
while :; do
    wait $qpid; qrc=$?
    kill -0 $qpid 2>/dev/null || break      # wait was interrupted by a signal
done
trap - INT TERM HUP

# unblock the relays if qemu never opened the FIFOs (an O_RDWR open of a FIFO
# never blocks), then let them drain
: <>"$RUN/out.out"; : <>"$RUN/err.out"
wait $relay1 $relay2

if [ -s "$RUN/rc" ]; then
    rc=$(cat "$RUN/rc")
else
    echo "[kvm2] VM ended without an exit status (qemu/timeout rc=$qrc); console log tail:" >&2
    tail -n 40 "$RUN/console.log" >&2 2>/dev/null
    rc=125
fi
if [ -z "${KVM2_KEEP:-}" ]; then rm -rf "$RUN"; else echo "[kvm2] run dir: $RUN" >&2; fi
exit "$rc"
