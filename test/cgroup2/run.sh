#!/bin/sh
# The cgroup v2 lane: runs INSIDE a pure cgroup v2 guest (scripts/test-cgroup2.sh
# boots it) and tests RUNTIME (an OCI runtime with runc's CLI: dist/ocirt, or
# /usr/sbin/runc to check the tests themselves) against the kernel's cgroup
# files. POSIX sh and busybox only: node and tap start 20-30x slower under TCG.
# Prints TAP lines; exits 1 if any check failed.
#
#   RUNTIME=/path/to/runtime sh test/cgroup2/run.sh
#   GUEST_MODULES=dir  the guest kernel's /lib/modules/$(uname -r): brd.ko gives
#                      io.max a block device (/dev/ram0, 1:0)
set -u
RUNTIME=${RUNTIME:?RUNTIME must name the runtime to test}
CG=/sys/fs/cgroup
PARENT=ocirt-v2-test
[ "$(stat -f -c %T $CG)" = cgroup2fs ] || { echo "Bail out! $CG is not cgroup2"; exit 1; }
WORK=$(mktemp -d /tmp/ocirt-cgroup2.XXXXXX)
ROOTFS=$WORK/rootfs
STATE=$WORK/state
IDS=""

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/  # /'; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# expect DESCRIPTION ACTUAL EXPECTED
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$3', got '$2'"; fi; }
# expect_match DESCRIPTION TEXT GREP-PATTERN
expect_match() { if printf '%s\n' "$2" | grep -qE -- "$3"; then ok "$1"; else not_ok "$1" "no match for /$3/ in: $2"; fi; }
# wait_for SECONDS COMMAND...: polls every 0.2 s
wait_for() {
    _deadline=$(($(date +%s) + $1)); shift
    until "$@"; do [ "$(date +%s)" -lt $_deadline ] || return 1; sleep 0.2; done
}

# Every runtime command has a time limit: a hang must be a failure, not a stuck lane.
rt() { timeout -k 5 120 "$RUNTIME" --root "$STATE" "$@"; }
# rt_ok DESCRIPTION ARGS...: a runtime command that must succeed (a failure is a not ok).
# Its output goes to a file, never a pipe: a created container keeps the stdio
# it was given, and a $(...) would wait for it to exit.
rt_ok() {
    _d=$1; shift
    if rt "$@" > "$WORK/rt.out" 2>&1 </dev/null; then return 0; fi
    not_ok "$_d" "$RUNTIME $*: $(cat "$WORK/rt.out")"; return 1
}
field() { tr -d ' \n' | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
status_of() { rt state "$1" 2>/dev/null | field status; }
pid_of() { rt state "$1" 2>/dev/null | field pid; }
cgdir() { echo "$CG/$PARENT/$1"; }
read_cg() { cat "$(cgdir "$1")/$2" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }

cleanup() {
    for id in $IDS; do rt delete --force "$id" >/dev/null 2>&1; done
    for id in $IDS; do [ ! -d "$(cgdir "$id")" ] || rmdir "$(cgdir "$id")" 2>/dev/null; done
    rmdir "$CG/$PARENT" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the shared rootfs: busybox, and the helper scripts the containers run ---
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/t" "$STATE"
cp /bin/busybox "$ROOTFS/bin/busybox"
for a in sh cat echo sleep tail mknod kill ls head mv true; do ln -s busybox "$ROOTFS/bin/$a"; done
# count ID: a counter that moves every 0.2 s (pause must stop it)
cat > "$ROOTFS/t/count.sh" <<'EOF'
i=0; while :; do i=$((i + 1)); echo $i > /tmp/count-$1.new; mv /tmp/count-$1.new /tmp/count-$1; sleep 0.2; done
EOF
# oom ID: waits for /tmp/go-ID, then allocates past the limit
cat > "$ROOTFS/t/oom.sh" <<'EOF'
while [ ! -e /tmp/go-$1 ]; do sleep 0.1; done
tail -c 200000000 /dev/zero; echo "tail=$?" > /tmp/oom-$1; sleep 1000
EOF
# forks ID: a shell that forks 20 sleepers (more than pids.max allows), then waits
cat > "$ROOTFS/t/forks.sh" <<'EOF'
sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 1000 & done' > /tmp/forks-$1 2>&1
echo "done" >> /tmp/forks-$1; sleep 1000
EOF
cat > "$ROOTFS/t/sleepers.sh" <<'EOF'
sleep 1000 & sleep 1000 & wait
EOF
# probe OP:ARG...: what the device cgroup lets this shell do, one `OP:ARG=verdict` line
# each; verdict ok, EPERM (refused: the device filter), or ENXIO (allowed by the filter,
# refused by the driver: 1:240 is a minor the mem driver does not have).
cat > "$ROOTFS/t/probe.sh" <<'EOF'
for p; do
    op=${p%%:*} arg=${p#*:}
    case $op in
        read) cmd="exec 3< $arg" ;;
        write) cmd="exec 3> $arg" ;;
        rw) cmd="exec 3<> $arg" ;;
        mknod) cmd="mknod $(echo $arg | tr : ' ')" ;;
    esac
    if out=$( (eval "$cmd") 2>&1 ); then echo "$p=ok"
    else case $out in
        *"not permitted"*) echo "$p=EPERM" ;;
        *"No such device or address"*) echo "$p=ENXIO" ;;
        *) echo "$p=other: $out" ;;
    esac; fi
done
EOF

DEFAULT_CAPS='"CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"'
PROBE_DEVICES='{"path":"/dev/probe","type":"c","major":1,"minor":240,"fileMode":438},{"path":"/dev/kmsg","type":"c","major":1,"minor":11,"fileMode":438}'

# bundle ID ARGS-JSON RESOURCES-JSON [CAPS-JSON] [DEVICES-JSON]: $WORK/ID/config.json
bundle() {
    IDS="$IDS $1"
    mkdir -p "$WORK/$1"
    cat > "$WORK/$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/",
    "args": $2,
    "env": ["PATH=/bin"],
    "capabilities": {"bounding": [${4:-$DEFAULT_CAPS}], "effective": [${4:-$DEFAULT_CAPS}], "permitted": [${4:-$DEFAULT_CAPS}]},
    "noNewPrivileges": true
  },
  "root": {"path": "$ROOTFS"},
  "hostname": "cgroup2-test",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "cgroupsPath": "/$PARENT/$1",
    "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "devices": [${5:-}],
    "resources": $3
  }
}
EOF
}
# start_container ID: create + start; fails the check DESCRIPTION-less (a not ok) if either fails
start_container() { rt_ok "create $1" create --bundle "$WORK/$1" "$1" </dev/null && rt_ok "start $1" start "$1"; }
# gone ID: delete left no cgroup behind
expect_cgroup_gone() {
    if [ -d "$(cgdir "$1")" ]; then not_ok "$2" "$(cgdir "$1") still exists"; else ok "$2"; fi
}
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }

echo "# runtime: $RUNTIME ($("$RUNTIME" --version 2>&1 | head -1)), kernel $(uname -r)"

# --- 1. resources land in the cgroup files -----------------------------------
if [ ! -b /dev/ram0 ] && [ -n "${GUEST_MODULES:-}" ] && [ -f "$GUEST_MODULES/kernel/drivers/block/brd.ko" ]; then
    busybox insmod "$GUEST_MODULES/kernel/drivers/block/brd.ko" rd_nr=1 rd_size=1024 2>/dev/null
fi
IO_MAX='' ; [ -b /dev/ram0 ] && IO_MAX=',"throttleReadBpsDevice":[{"major":1,"minor":0,"rate":1048576}],"throttleWriteIOPSDevice":[{"major":1,"minor":0,"rate":100}]'
id=values
bundle $id '["sleep","1000"]' '{
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 50},
    "blockIO": {"weight": 200'"$IO_MAX"'},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "unified": {"memory.high": "58720256", "memory.oom.group": "1"}
  }'
if rt_ok "create with linux.resources" create --bundle "$WORK/$id" $id </dev/null; then
    pid=$(pid_of $id)
    expect "the init is in cgroupsPath" "$(sed -n 's/^0:://p' /proc/$pid/cgroup 2>&1)" "/$PARENT/$id"
    expect "memory.limit → memory.max" "$(read_cg $id memory.max)" 67108864
    expect "memory.reservation → memory.low" "$(read_cg $id memory.low)" 33554432
    expect "memory.swap (memory+swap) → memory.swap.max = swap - limit" "$(read_cg $id memory.swap.max)" 33554432
    expect "unified memory.high" "$(read_cg $id memory.high)" 58720256
    expect "unified memory.oom.group" "$(read_cg $id memory.oom.group)" 1
    # runc's conversion (libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value)
    expect "cpu.shares 512 → cpu.weight" "$(read_cg $id cpu.weight)" $((1 + (512 - 2) * 9999 / 262142))
    expect "cpu.quota/period → cpu.max" "$(read_cg $id cpu.max)" "50000 100000"
    expect "cpu.cpus → cpuset.cpus" "$(read_cg $id cpuset.cpus)" 0
    expect "cpu.mems → cpuset.mems" "$(read_cg $id cpuset.mems)" 0
    expect "pids.limit → pids.max" "$(read_cg $id pids.max)" 50
    # runc's conversion (ConvertBlkIOToIOWeightValue), into io.weight when there is no io.bfq.weight
    expect "blockIO.weight → io.weight" "$(read_cg $id io.weight)" "default $((1 + (200 - 10) * 9999 / 990))"
    if [ -n "$IO_MAX" ]; then
        expect "blockIO throttle devices → io.max" "$(read_cg $id io.max)" "1:0 rbps=1048576 wbps=max riops=max wiops=100"
    else
        skip "blockIO throttle devices → io.max" "no block device in the guest (brd.ko not found)"
    fi
    expect "hugepageLimits 2MB → hugetlb.2MB.max" "$(read_cg $id hugetlb.2MB.max)" 4194304
    rt_ok "delete $id" delete --force $id && expect_cgroup_gone $id "delete removes the container's cgroup"
fi

# cpu.burst (runtime-spec 1.1) in its own container: runtimes without it refuse the whole config
id=burst
bundle $id '["sleep","1000"]' '{"cpu": {"quota": 50000, "period": 100000, "burst": 20000}}'
if rt_ok "create with cpu.burst" create --bundle "$WORK/$id" $id </dev/null; then
    expect "cpu.burst → cpu.max.burst" "$(read_cg $id cpu.max.burst)" 20000
    rt delete --force $id >/dev/null 2>&1
fi

# --- 2. the memory limit is enforced: OOM kill, reported by events ------------
id=oom
bundle $id '["sh","/t/oom.sh","oom"]' '{"memory": {"limit": 33554432, "swap": 33554432}}'
if start_container $id; then
    rt events --interval 1s $id > "$WORK/events-$id" 2>&1 &
    events_pid=$!
    # the first stats line: events is watching before the allocation starts
    wait_for 30 file_has "$WORK/events-$id" stats
    : > "$ROOTFS/tmp/go-$id"
    if wait_for 60 test -s "$ROOTFS/tmp/oom-$id"; then
        expect "a process allocating past memory.max is OOM-killed (SIGKILL)" "$(cat "$ROOTFS/tmp/oom-$id")" "tail=137"
    else
        not_ok "a process allocating past memory.max is OOM-killed (SIGKILL)" "no result within 60 s"
    fi
    expect_match "memory.events counts the oom_kill" "$(read_cg $id memory.events)" "oom_kill [1-9]"
    wait_for 10 file_has "$WORK/events-$id" '"type": *"oom"'
    expect_match "the events stream reports the oom" "$(cat "$WORK/events-$id")" '"type": *"oom"'
    kill $events_pid 2>/dev/null; wait $events_pid 2>/dev/null
    stats=$(rt events --stats $id 2>&1)
    expect_match "events --stats: memory usage and pids of the cgroup" "$stats" '"memory": *\{.*"usage": *\{ *"[a-z]+": *[0-9]+.*"pids": *\{ *"current": *[1-9]'
    rt_ok "delete $id" delete --force $id && expect_cgroup_gone $id "delete --force of a running container removes its cgroup"
fi

# --- 3. pids.max is enforced -----------------------------------------------------
id=pids
pids_at() { [ "$(read_cg $id pids.current)" = "$1" ]; }
bundle $id '["sh","/t/forks.sh","pids"]' '{"pids": {"limit": 8}}'
if start_container $id; then
    wait_for 60 file_has "$ROOTFS/tmp/forks-$id" done
    expect_match "fork fails at pids.max (the shell reports it)" "$(cat "$ROOTFS/tmp/forks-$id" 2>&1)" "can't fork"
    expect_match "pids.events counts the refused forks" "$(read_cg $id pids.events)" "max [1-9]"
    # the shell forks its last sleep just after writing "done"
    wait_for 10 pids_at 8
    expect "pids.current stays at pids.max" "$(read_cg $id pids.current)" 8
    rt delete --force $id >/dev/null 2>&1
fi

# --- 4. one container through pause/resume, update, delete --force while paused
id=life
bundle $id '["sh","/t/count.sh","life"]' '{"memory": {"limit": 67108864}, "pids": {"limit": 100}, "cpu": {"quota": 50000, "period": 100000}}'
count() { cat "$ROOTFS/tmp/count-$id" 2>/dev/null; }
count_above() { [ "$(count)" -gt "$1" ]; }
if start_container $id; then
    wait_for 30 test -s "$ROOTFS/tmp/count-$id"
    pid=$(pid_of $id)

    if rt_ok "pause" pause $id; then
        expect "pause: state says paused" "$(status_of $id)" paused
        expect_match "pause: cgroup.events says frozen" "$(read_cg $id cgroup.events)" "frozen 1"
        c1=$(count); sleep 2; c2=$(count)
        case $c1 in ''|*[!0-9]*) not_ok "a paused container makes no progress" "no count: '$c1'" ;;
            *) expect "a paused container makes no progress" "$c2" "$c1" ;; esac
        if rt_ok "resume" resume $id; then
            expect "resume: state says running" "$(status_of $id)" running
            wait_for 10 count_above "$c2"
            c3=$(count)
            if [ "${c3:-0}" -gt "${c2:-0}" ]; then ok "resume: it makes progress again ($c2 → $c3)"; else not_ok "resume: it makes progress again" "count stayed at $c3"; fi
        fi
    fi

    if rt_ok "update with flags" update --memory 104857600 --pids-limit 30 --cpu-quota 20000 --cpu-period 100000 $id; then
        expect "update --memory → memory.max" "$(read_cg $id memory.max)" 104857600
        expect "update --pids-limit → pids.max" "$(read_cg $id pids.max)" 30
        expect "update --cpu-quota/--cpu-period → cpu.max" "$(read_cg $id cpu.max)" "20000 100000"
    fi
    cat > "$WORK/update.json" <<'EOF'
{"memory": {"limit": 125829120}, "pids": {"limit": 40}, "cpu": {"quota": 30000, "period": 100000}}
EOF
    if rt_ok "update --resources FILE" update --resources "$WORK/update.json" $id; then
        expect "update --resources: memory.max" "$(read_cg $id memory.max)" 125829120
        expect "update --resources: pids.max" "$(read_cg $id pids.max)" 40
        expect "update --resources: cpu.max" "$(read_cg $id cpu.max)" "30000 100000"
    fi
    expect "the container ran on through all this" "$(status_of $id)" running

    if rt_ok "pause before delete --force" pause $id; then
        if rt_ok "delete --force of a paused container" delete --force $id; then
            if rt state $id >/dev/null 2>&1; then not_ok "delete --force of a paused container: it is gone" "state still answers"; else ok "delete --force of a paused container: it is gone"; fi
            if kill -0 "$pid" 2>/dev/null; then not_ok "delete --force of a paused container: its processes are gone" "pid $pid lives"; else ok "delete --force of a paused container: its processes are gone"; fi
            expect_cgroup_gone $id "delete --force of a paused container: its cgroup is gone"
        fi
    fi
fi

# --- 5. ps and kill --all ------------------------------------------------------------------
id=killall
bundle $id '["sh","/t/sleepers.sh"]' '{"pids": {"limit": 20}}'
procs_count() { cat "$(cgdir $id)/cgroup.procs" 2>/dev/null | wc -l; }
has_procs() { [ "$(procs_count)" -ge "$1" ]; }
no_procs() { [ "$(procs_count)" -eq 0 ]; }
is_stopped() { [ "$(status_of $id)" = stopped ]; }
if start_container $id; then
    wait_for 30 has_procs 3
    # ps: every process of the cgroup (the shell and its two sleeps), as host pids
    procs=$(cat "$(cgdir $id)/cgroup.procs" | tr '\n' ' ')
    listed=$(rt ps --format json $id 2>&1)
    missing=""; for p in $procs; do printf '%s' "$listed" | grep -qE "(\[|,) *$p *(,|\])" || missing="$missing $p"; done
    if [ -n "$procs" ] && [ -z "$missing" ]; then ok "ps --format json lists the cgroup's pids ($procs)"
    else not_ok "ps --format json lists the cgroup's pids" "cgroup.procs: $procs; ps: $listed"; fi
    expect_match "ps (table) shows the init's pid" "$(rt ps $id 2>&1)" "(^| )$(pid_of $id) "
    if rt_ok "kill --all" kill --all $id KILL; then
        if wait_for 20 no_procs; then ok "kill --all: every process of the cgroup is gone"
        else not_ok "kill --all: every process of the cgroup is gone" "left: $(cat "$(cgdir $id)/cgroup.procs" | tr '\n' ' ')"; fi
        wait_for 10 is_stopped
        expect "kill --all: the container is stopped" "$(status_of $id)" stopped
    fi
    rt_ok "delete a stopped container" delete $id && expect_cgroup_gone $id "delete of a stopped container removes its cgroup"
fi

# --- 6. the device filter (BPF_CGROUP_DEVICE) -----------------------------------
# run_probe ID RESOURCES-JSON CAPS-JSON PROBES...: `run` the probe; its output
run_probe() {
    _id=$1 _res=$2 _caps=$3; shift 3
    _args='["sh","/t/probe.sh"'; for _p; do _args="$_args,\"$_p\""; done; _args="$_args]"
    bundle $_id "$_args" "$_res" "$_caps" "$PROBE_DEVICES"
    rt run --bundle "$WORK/$_id" $_id > "$WORK/$_id.out" 2>&1 </dev/null
    cat "$WORK/$_id.out"
    rt delete --force $_id >/dev/null 2>&1
}
# Three checks below (mknod refused without an m rule; a later deny of /dev/null)
# hold only where the config's rules come after the runtime's own default rules:
# runc 1.1 appends its defaults (c *:* m, b *:* m, c 1:3 rwm ...) after them and
# fails these by design, and so does `update --resources` with devices, which
# runc 1.1 ignores.
DENY_ALL='{"allow": false, "access": "rwm"}'
MKNOD_CAPS="$DEFAULT_CAPS,\"CAP_MKNOD\""

out=$(run_probe dev-deny "{\"devices\": [$DENY_ALL]}" "$MKNOD_CAPS" read:/dev/probe write:/dev/kmsg mknod:/tmp/n-deny:c:1:240)
expect_match "devices deny a: /dev/probe (c 1:240) cannot be opened" "$out" "^read:/dev/probe=EPERM"
expect_match "devices deny a: /dev/kmsg cannot be opened for writing" "$out" "^write:/dev/kmsg=EPERM"
# Every container may mknod (the default rules after the config's: c *:* m, as runc).
expect_match "devices deny a: mknod c 1:240 is still allowed by the default rules" "$out" "^mknod:/tmp/n-deny:c:1:240=ok"

out=$(run_probe dev-allow "{\"devices\": [$DENY_ALL, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 11, \"access\": \"w\"}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 240, \"access\": \"rw\"}]}" "$DEFAULT_CAPS" \
    write:/dev/kmsg rw:/dev/probe read:/dev/null)
expect_match "allow c 1:11 w: /dev/kmsg opens for writing" "$out" "^write:/dev/kmsg=ok"
expect_match "allow c 1:240 rw: /dev/probe passes the filter (the driver says ENXIO)" "$out" "^rw:/dev/probe=ENXIO"

out=$(run_probe dev-wild "{\"devices\": [$DENY_ALL, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"access\": \"r\"}]}" "$DEFAULT_CAPS" \
    read:/dev/probe write:/dev/probe write:/dev/kmsg read:/dev/zero)
expect_match "wildcard c 1:* r: read of /dev/probe passes" "$out" "^read:/dev/probe=ENXIO"
expect_match "wildcard c 1:* r: write of /dev/probe is refused" "$out" "^write:/dev/probe=EPERM"
expect_match "wildcard c 1:* r: write of /dev/kmsg is refused" "$out" "^write:/dev/kmsg=EPERM"

out=$(run_probe dev-mknod "{\"devices\": [$DENY_ALL, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 240, \"access\": \"m\"}]}" "$MKNOD_CAPS" \
    mknod:/tmp/n-mknod:c:1:240 read:/tmp/n-mknod)
expect_match "allow c 1:240 m: mknod works" "$out" "^mknod:/tmp/n-mknod:c:1:240=ok"
expect_match "allow c 1:240 m: the new node cannot be opened (no r)" "$out" "^read:/tmp/n-mknod=EPERM"

out=$(run_probe dev-later "{\"devices\": [$DENY_ALL, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 240, \"access\": \"rwm\"}, {\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 240, \"access\": \"rw\"}]}" "$DEFAULT_CAPS" \
    read:/dev/probe write:/dev/probe)
expect_match "a later deny c 1:240 rw: /dev/probe cannot be read" "$out" "^read:/dev/probe=EPERM"
expect_match "a later deny c 1:240 rw: /dev/probe cannot be written" "$out" "^write:/dev/probe=EPERM"

# update replaces the filter of a running container
id=dev-update
bundle $id '["sleep","1000"]' "{\"devices\": [$DENY_ALL]}" "$DEFAULT_CAPS" "$PROBE_DEVICES"
if start_container $id; then
    expect_match "before update: /dev/kmsg is refused" "$(rt exec $id sh /t/probe.sh write:/dev/kmsg 2>&1)" "=EPERM"
    cat > "$WORK/update-devices.json" <<EOF
{"devices": [$DENY_ALL, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}
EOF
    if rt_ok "update --resources with devices" update --resources "$WORK/update-devices.json" $id; then
        expect_match "after update: /dev/kmsg opens for writing" "$(rt exec $id sh /t/probe.sh write:/dev/kmsg 2>&1)" "=ok"
    fi
    rt delete --force $id >/dev/null 2>&1
fi

# --- 7. Docker's zeros (issue 12): 0 and "" mean "not set", as in runc ----------
# Every `docker run` sends cpu.shares 0 and blockIO.weight 0; `docker update`
# sends 0 (and "" for the cpusets) for each field it is not changing.
id=zeros
bundle $id '["sleep","1000"]' '{"memory": {"limit": 0, "reservation": 0, "swap": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""}, "pids": {"limit": 0}, "blockIO": {"weight": 0}}'
if rt_ok "create with Docker's zeros" create --bundle "$WORK/$id" $id </dev/null; then
    expect "memory.limit 0: memory.max stays max" "$(read_cg $id memory.max)" max
    expect "cpu.shares 0: cpu.weight stays 100" "$(read_cg $id cpu.weight)" 100
    expect "cpu.quota/period 0: cpu.max stays max 100000" "$(read_cg $id cpu.max)" "max 100000"
    expect "pids.limit 0: pids.max stays max (runc)" "$(read_cg $id pids.max)" max
    expect "blockIO.weight 0: io.weight stays default 100" "$(read_cg $id io.weight)" "default 100"
    rt delete --force $id >/dev/null 2>&1
fi

id=dockerupdate
bundle $id '["sleep","1000"]' '{"memory": {"limit": 67108864, "swap": 100663296}, "cpu": {"shares": 512, "quota": 50000, "period": 100000}, "pids": {"limit": 50}, "blockIO": {"weight": 200}}'
if start_container $id; then
    weight=$(read_cg $id cpu.weight) io=$(read_cg $id io.weight)
    echo '{"blockIO": {"weight": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""}, "memory": {"limit": 100663296, "reservation": 0, "kernel": 0}}' > "$WORK/docker-update.json"
    if rt_ok "docker update --memory 96m (its zeros for the rest)" update --resources "$WORK/docker-update.json" $id; then
        expect "docker update: memory.max changes" "$(read_cg $id memory.max)" 100663296
        expect "docker update: cpu.shares 0 leaves cpu.weight" "$(read_cg $id cpu.weight)" "$weight"
        expect "docker update: quota/period 0 leave cpu.max" "$(read_cg $id cpu.max)" "50000 100000"
        expect "docker update: pids.max is left" "$(read_cg $id pids.max)" 50
        expect "docker update: blockIO.weight 0 leaves io.weight" "$(read_cg $id io.weight)" "$io"
    fi
    swap=$(read_cg $id memory.swap.max)
    # memory and cpu are written before the cpuset the kernel refuses: both must be put back
    # (runc 1.1.5 leaves such an update half-applied and fails these).
    echo '{"memory": {"limit": 125829120, "swap": 167772160}, "cpu": {"shares": 300, "quota": 20000, "cpus": "4096"}}' > "$WORK/refused-update.json"
    if rt update --resources "$WORK/refused-update.json" $id > "$WORK/rt.out" 2>&1 </dev/null; then
        not_ok "an update the kernel refuses fails" "it succeeded"
    else
        expect "a refused update leaves memory.max as it was" "$(read_cg $id memory.max)" 100663296
        expect "a refused update leaves memory.swap.max as it was" "$(read_cg $id memory.swap.max)" "$swap"
        expect "a refused update leaves cpu.weight as it was" "$(read_cg $id cpu.weight)" "$weight"
        expect "a refused update leaves cpu.max as it was" "$(read_cg $id cpu.max)" "50000 100000"
    fi
    if rt_ok "update --memory -1 with a finite swap limit" update --memory -1 $id; then
        expect "update --memory -1: memory.max is max" "$(read_cg $id memory.max)" max
        expect "update --memory -1: memory.swap.max is max too (runc)" "$(read_cg $id memory.swap.max)" max
    fi
    rt delete --force $id >/dev/null 2>&1
fi

# --- rootless: a cgroup is entered only where the kernel lets the caller in ---
# An unprivileged uid runs the runtime with a user namespace of its own ids. On
# cgroup v2, entering needs write permission on the target's cgroup.procs and on
# the common ancestor's (cgroup_procs_write_permission): a subtree delegated to
# the caller (its processes in a leaf below, as systemd's user@.service) is
# entered; an existing cgroup of root's is not (mkdir's EEXIST comes before its
# permission check), which is the "no cgroup of its own" warning, not clone3's EACCES.
RL_UID=4242
RL_STATE=$WORK/rl-state
# rootless_bundle NAME CGROUPS-PATH: a bundle for RL_UID that prints the container's cgroup
rootless_bundle() {
    mkdir -p "$WORK/$1"
    cat > "$WORK/$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["cat", "/proc/self/cgroup"], "env": ["PATH=/bin"], "noNewPrivileges": true},
  "root": {"path": "$ROOTFS"},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}
  ],
  "linux": {
    "cgroupsPath": "$2",
    "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}],
    "uidMappings": [{"containerID": 0, "hostID": $RL_UID, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": $RL_UID, "size": 1}]
  }
}
EOF
}
# rootless_run CGROUP NAME: as root, moves this shell into CGROUP (under $CG), then runs the bundle NAME as RL_UID
rootless_run() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CG$1" \
        setpriv --reuid=$RL_UID --regid=$RL_UID --clear-groups --inh-caps=-all -- \
        timeout -k 5 120 "$RUNTIME" --root "$RL_STATE" run --bundle "$WORK/$2" "$2" > "$WORK/rl.out" 2> "$WORK/rl.err" </dev/null
}
rl_cleanup() { for d in "$@"; do [ ! -d "$CG$d" ] || rmdir "$CG$d" 2>/dev/null; done; }
if ! setpriv --reuid=$RL_UID --regid=$RL_UID --clear-groups unshare --user true 2>/dev/null; then
    skip "rootless: a delegated cgroup is entered" "unprivileged user namespaces are not allowed here"
    skip "rootless: an existing cgroup of root's is not entered" "unprivileged user namespaces are not allowed here"
else
    chmod 755 "$WORK"
    mkdir -p "$RL_STATE" && chown $RL_UID:$RL_UID "$RL_STATE"
    mkdir -p "$CG/$PARENT"
    # Root's part of a delegation: the controllers enabled down to the delegated cgroup, which the caller then owns.
    for c in $(cat "$CG/cgroup.controllers"); do echo "+$c" > "$CG/cgroup.subtree_control" 2>/dev/null; done
    for c in $(cat "$CG/$PARENT/cgroup.controllers"); do echo "+$c" > "$CG/$PARENT/cgroup.subtree_control" 2>/dev/null; done
    deleg=/$PARENT/rl-deleg
    mkdir -p "$CG$deleg/self"
    chown $RL_UID:$RL_UID "$CG$deleg" "$CG$deleg/cgroup.procs" "$CG$deleg/cgroup.threads" "$CG$deleg/cgroup.subtree_control"
    rootless_bundle rl-in "$deleg/rl-in"
    if rootless_run "$deleg/self" rl-in; then
        expect "rootless: a delegated cgroup is entered (the container's cgroup is below it)" "$(grep '^0::' "$WORK/rl.out")" "0::$deleg/rl-in"
        expect "rootless: no warning for the delegated cgroup" "$(grep -c 'no cgroup of its own' "$WORK/rl.err")" 0
    else
        not_ok "rootless: a delegated cgroup is entered" "$(cat "$WORK/rl.err")"
    fi
    rl_cleanup "$deleg/rl-in" "$deleg/self" "$deleg"
    # The caller in a leaf of its own (a cgroup with enabled controllers takes no process).
    caller=/$PARENT/rl-caller taken=/$PARENT/rl-taken
    mkdir -p "$CG$caller" "$CG$taken"
    rootless_bundle rl-out "$taken"
    if rootless_run "$caller" rl-out; then
        expect_match "rootless: an existing cgroup of root's is not entered (the warning)" "$(cat "$WORK/rl.err")" "no cgroup of its own for the container \(rootless\): the cgroup $taken cannot be entered: .*cgroup.procs is not writable: permission denied"
        expect "rootless: the container stays in its caller's cgroup" "$(grep '^0::' "$WORK/rl.out")" "0::$caller"
        expect "rootless: root's cgroup is left empty" "$(cat "$CG$taken/cgroup.procs")" ""
    else
        not_ok "rootless: an existing cgroup of root's is not entered" "$(cat "$WORK/rl.err")"
    fi
    rl_cleanup "$taken" "$caller"
fi

echo "1..$n"
[ $failed -eq 0 ] || { echo "# $failed of $n failed"; exit 1; }
