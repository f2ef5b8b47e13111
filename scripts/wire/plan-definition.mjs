/**
 * The one definition of the InitPlan's wire format: what TypeScript builds
 * (src/native.ts), the C++ structs the addon reads it into (native/init.h),
 * the key check and readers that do so (native/marshal.cc) and the bytes the
 * sealed stage decodes (native/plan_wire.cc). scripts/build-wire.mjs
 * generates all four from this file; edit this file, never the outputs.
 *
 * A struct lists its fields in wire order (the order of the stage's bytes and
 * of the C++ declaration). A field is:
 *   js        the TypeScript key; absent for a C++-only field (an fd opened
 *             before clone, argv views, a presence flag)
 *   cpp       the C++ member (default: js in snake_case)
 *   type      i32 u32 u16 u64 (a JS number), u64big (a JS bigint), bool, fd
 *             (int, C++ only), string, strings, u32s, bytes (Buffer), cpuset
 *             (a number[] of CPUs read into cpu_set_t), pairs
 *             ([string, string][]), cstrs (NULL-terminated views, C++ only),
 *             { struct: Name } or { list: Name }
 *   required  the key is always set by TypeScript: marshal.cc fails naming
 *             struct and key when it is missing (an optional key is `?` in
 *             TypeScript and reads as the default when absent)
 *   nullable  TypeScript may set it to null (with required: `T | null`)
 *   presenceOf  this bool records whether the key `presenceOf` was set
 *   presence  (a struct field) the member of the nested struct that records
 *             whether the key was set
 *   onlyWith  read only when this other key is set
 *   default   the C++ default (also the value of an absent key)
 *   wire      false: not in the stage's bytes (rebuilt there)
 *   ts        the TypeScript type, where it is narrower than the C++ one
 *   doc       why the field exists; carried into both generated sides
 * A struct with `raw: true` is encoded as its bytes (trivially copyable,
 * its layout is ABI: SchedAttr is the kernel's struct sched_attr).
 */

/**
 * Enums shared by both sides: C++ enumerators are `prefix + name` unless a value names its own.
 * @type {import('../build-wire.mjs').Enum[]}
 */
export const enums = [
  {
    name: 'Phase',
    ts: 'InitPhase',
    prefix: 'kPhase',
    doc: 'Where the init child failed: the phase of its failure record (native/init.h InitReport); src/linux/failure.ts names each.',
    values: [
      ['Sync', 1], ['Setns', 2], ['Unshare', 3], ['Hostname', 4], ['RootPropagation', 5], ['RootBind', 6],
      ['MountStep', 7], ['Pivot', 8], ['PostPivotStep', 9], ['Sysctl', 10], ['Rlimit', 11], ['Identity', 12],
      ['Capabilities', 13], ['NoNewPrivileges', 14], ['ExecLookup', 15], ['Cwd', 16], ['UserMap', 17], ['Listen', 18],
      ['OomScoreAdj', 19], ['Clone', 20], ['Keyring', 21], ['TimeOffsets', 22], ['Fork', 23], ['Seccomp', 24],
      ['Exec', 25], ['Console', 26], ['ConsoleSocket', 27], ['Cgroup', 28], ['Personality', 29], ['Scheduler', 30],
      ['IoPriority', 31], ['CpuAffinity', 32], ['SecurityLabel', 33], ['Session', 34], ['Stage', 35],
    ],
  },
  {
    name: 'MountOp',
    prefix: 'k',
    doc: 'What one MountStep does.',
    values: [
      ['Mount', 1, 'mount(source, target, fstype, flags, data)'],
      ['Remount', 2, 'mount(NULL, target, NULL, flags | MS_REMOUNT, data); keeps locked flags in a user namespace'],
      ['Propagate', 3, 'mount(NULL, target, NULL, propagation flags, NULL)'],
      ['Mknod', 4, 'mknod(target, mode, makedev(major, minor)) then chown(uid, gid), replacing a non-directory'],
      ['BindDevice', 5, 'Bind-mount the host device `source` onto the target (where mknod is not allowed: user namespaces)'],
      ['Symlink', 6, 'symlink(source, target); an existing target is left alone'],
      ['Mask', 7, 'Mask: /dev/null over a file, a read-only empty tmpfs over a directory; missing targets are skipped'],
      ['ReadOnly', 8, 'Bind the target onto itself and remount it read-only; missing targets are skipped'],
      ['Mkdir', 9, 'mkdir -p inside the root'],
      ['SetAttr', 10, 'mount_setattr(target, attrSet, attrClr) for the recursive r* options'],
      ['IdmappedBind', 11, 'Id-mapped bind mount (idmap/ridmap): before clone the runtime clones `source` (flags MS_REC: with its ' +
        'submounts) and sets MOUNT_ATTR_IDMAP (recursive: on the submounts too); the init moves it onto the target.'],
      ['DetachedBind', 12, 'Bind mount in a container with a user namespace, whose root may not reach the source (docker ' +
        '--userns-remap, podman --userns): the runtime opens `source` in the init\'s new mount namespace with ' +
        'its own access and passes the fd; the init binds from it (flags: MS_BIND, MS_REC for rbind).'],
    ],
  },
  {
    name: 'DumpableUntil',
    prefix: 'kDumpable',
    doc: 'How long the init stays dumpable. Until pivot_root the init is alone in its new namespaces; until exec, ' +
      'processes exec\'d into a created container could reach it (its memory and fds; its /proc/PID/exe is the ' +
      'sealed stage, see native/stage_image.cc).',
    values: [['Never', 0, undefined, 'kDumpableNever'], ['Pivot', 1, undefined, 'kDumpableUntilPivot'], ['Exec', 2, undefined, 'kDumpableUntilExec']],
  },
  {
    name: 'CreateKind',
    prefix: 'kCreate',
    doc: 'What a MountStep creates at its target if it is missing.',
    values: [['None', 0], ['Directory', 1], ['File', 2]],
  },
]

const VIEWS_DOC = 'NULL-terminated views of args/env, built before clone (in the stage)'
const ROUND_TRIP = 'Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).'

/** @type {import('../build-wire.mjs').Struct[]} */
export const structs = [
  {
    name: 'MountStep',
    doc: 'One step of the mount phase, executed in order by the init child.',
    fields: [
      { js: 'op', type: 'i32', ts: 'MountOp', required: true, default: '0' },
      { js: 'target', type: 'string', required: true, doc: 'Path of the target. Before pivot_root: relative to the rootfs (resolved inside it, never following a symlink out); after: absolute in the container.' },
      { js: 'source', type: 'string' },
      { js: 'fstype', type: 'string' },
      { js: 'data', type: 'string' },
      { cpp: 'has_source', type: 'bool', presenceOf: 'source' },
      { cpp: 'has_fstype', type: 'bool', presenceOf: 'fstype' },
      { cpp: 'has_data', type: 'bool', presenceOf: 'data' },
      { js: 'flags', type: 'u64', doc: 'MS_* flags for mount(2).' },
      { js: 'create', type: 'i32', ts: 'CreateKind', default: 'kCreateNone', doc: 'What to create at the target if it is missing.' },
      { js: 'mode', type: 'u32', doc: 'For MKNOD: st_mode (type bits | permissions), dev_t, owner.' },
      { js: 'major', type: 'u32' },
      { js: 'minor', type: 'u32' },
      { js: 'uid', type: 'u32' },
      { js: 'gid', type: 'u32' },
      { js: 'attrSet', type: 'u64', doc: 'For SETATTR: mount_setattr attributes to set and clear (MOUNT_ATTR_*), and whether recursively.' },
      { js: 'attrClr', type: 'u64' },
      { js: 'recursive', type: 'bool' },
      { js: 'noSymlinks', type: 'bool', doc: 'The target may not be reached through any symlink (procfs and sysfs targets; CVE-2019-16884).' },
      { js: 'idmapUserns', type: 'string', doc: 'For IDMAPPED_BIND: the mapping\'s user namespace, a path to it or the maps of a new one ("inside outside count" lines).' },
      { js: 'idmapUidMap', type: 'string' },
      { js: 'idmapGidMap', type: 'string' },
      { cpp: 'tree_fd', type: 'fd', doc: 'IDMAPPED_BIND and DETACHED_BIND: the detached mount the parent made before clone.' },
      { js: 'copyUp', type: 'bool', doc: 'For MOUNT: tmpcopyup, the new mount starts with a copy of the directory under it.' },
    ],
  },
  {
    name: 'Rlimit',
    raw: true,
    fields: [
      { js: 'resource', type: 'i32', required: true },
      { js: 'soft', type: 'u64big', required: true },
      { js: 'hard', type: 'u64big', required: true },
    ],
  },
  {
    name: 'Capabilities',
    raw: true,
    fields: [
      { cpp: 'present', type: 'bool', doc: 'The plan has a capabilities object (ProcessPlan.capabilities is not null).' },
      { js: 'bounding', type: 'u64big', required: true },
      { js: 'effective', type: 'u64big', required: true },
      { js: 'inheritable', type: 'u64big', required: true },
      { js: 'permitted', type: 'u64big', required: true },
      { js: 'ambient', type: 'u64big', required: true },
    ],
  },
  {
    name: 'SchedAttr',
    ts: 'SchedulerPlan',
    keysName: 'ProcessPlan.scheduler',
    raw: true,
    noDefaults: true,
    doc: 'sched_setattr(2)\'s struct sched_attr (SCHED_ATTR_SIZE_VER1), which glibc does not declare; ' +
      'process.scheduler: SCHED_* policy, SCHED_FLAG_* flags.',
    fields: [
      { cpp: 'size', type: 'u32', set: 'sizeof(SchedAttr)' },
      { js: 'policy', cpp: 'sched_policy', type: 'u32', required: true },
      { js: 'flags', cpp: 'sched_flags', type: 'u64', required: true },
      { js: 'nice', cpp: 'sched_nice', type: 'i32', required: true },
      { js: 'priority', cpp: 'sched_priority', type: 'u32', required: true },
      { js: 'runtime', cpp: 'sched_runtime', type: 'u64big', required: true },
      { js: 'deadline', cpp: 'sched_deadline', type: 'u64big', required: true },
      { js: 'period', cpp: 'sched_period', type: 'u64big', required: true },
      { cpp: 'sched_util_min', type: 'u32' },
      { cpp: 'sched_util_max', type: 'u32' },
    ],
  },
  {
    name: 'ProcessPlan',
    fields: [
      { js: 'args', type: 'strings', required: true, nonEmpty: 'plan.process.args is empty' },
      { js: 'env', type: 'strings', required: true },
      { js: 'searchPath', type: 'strings', required: true, doc: 'Directories of the container\'s PATH, searched for args[0] when it has no slash (as runc\'s LookPath).' },
      { cpp: 'argv', type: 'cstrs', wire: false, doc: VIEWS_DOC },
      { cpp: 'envp', type: 'cstrs', wire: false },
      { js: 'cwd', type: 'string', required: true },
      { js: 'uid', type: 'u32', required: true },
      { js: 'gid', type: 'u32', required: true },
      { js: 'additionalGids', type: 'u32s', required: true },
      { js: 'umask', type: 'i32', required: true, default: '-1', doc: '-1 to leave the umask alone.' },
      { js: 'noNewPrivileges', type: 'bool', required: true },
      { js: 'capabilities', cpp: 'caps', type: { struct: 'Capabilities' }, required: true, nullable: true, presence: 'present', doc: 'null: keep what the process has (no capabilities object in the config means none, which the plan says explicitly).' },
      { js: 'lastCap', type: 'i32', required: true, default: '40', doc: 'Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap).' },
      { cpp: 'has_personality', type: 'bool', presenceOf: 'personality' },
      { js: 'personality', type: 'u32', doc: 'personality(2) persona (linux.personality).' },
      { cpp: 'has_scheduler', type: 'bool', presenceOf: 'scheduler' },
      { js: 'scheduler', type: { struct: 'SchedAttr' }, doc: 'sched_setattr(2) of the process (process.scheduler).' },
      { cpp: 'has_io_priority', type: 'bool', presenceOf: 'ioPriority' },
      { js: 'ioPriority', type: 'i32', doc: 'ioprio_set(2) value, class << 13 | priority (process.ioPriority).' },
      { cpp: 'has_initial_cpus', type: 'bool', presenceOf: 'initialCpus' },
      { cpp: 'has_final_cpus', type: 'bool', presenceOf: 'finalCpus' },
      { js: 'initialCpus', type: 'cpuset', doc: 'CPUs the new process runs on from its clone (set by the runtime), and from just before exec (execCPUAffinity).' },
      { js: 'finalCpus', type: 'cpuset' },
      { js: 'execLabelFiles', type: 'strings', doc: 'The LSM label the program gets at execve (AppArmor "exec <profile>", or an SELinux context), written to the first of these files under /proc/thread-self/ that exists.' },
      { js: 'execLabel', type: 'string' },
    ],
  },
  {
    name: 'HookPlan',
    doc: 'A startContainer hook (config.md "POSIX-platform Hooks"), run by the init.',
    fields: [
      { js: 'path', type: 'string', required: true },
      { js: 'args', type: 'strings', required: true },
      { js: 'env', type: 'strings', required: true },
      { cpp: 'argv', type: 'cstrs', wire: false, doc: VIEWS_DOC },
      { cpp: 'envp', type: 'cstrs', wire: false },
      { js: 'timeout', cpp: 'timeout_s', type: 'i32', required: true, doc: 'Seconds; 0: none.' },
    ],
  },
  {
    name: 'NamespaceJoin',
    fields: [
      { js: 'type', type: 'i32', required: true, doc: 'CLONE_NEW* of the namespace.' },
      { js: 'path', type: 'string', required: true },
      { cpp: 'fd', type: 'fd', doc: 'The namespace, opened by the parent before clone.' },
    ],
  },
  {
    name: 'InitPlan',
    doc: 'Everything the init child does, decided in TypeScript (src/linux/plan.ts); the child only reads it.',
    fields: [
      { js: 'cloneFlags', type: 'u64', required: true, doc: 'CLONE_NEW* flags given to clone3.' },
      { js: 'unshareFlags', type: 'u64', required: true, doc: 'CLONE_NEW* flags unshared by the child after it has joined namespaces and the parent has released it.' },
      { js: 'joinNamespaces', cpp: 'joins', type: { list: 'NamespaceJoin' }, required: true, doc: 'Namespaces the child joins with setns, in this order.' },
      { js: 'joinPidNamespace', type: 'string', required: true, doc: 'A pid namespace the parent joins for its children before clone3 (setns on a pid namespace applies to children only).' },
      { cpp: 'join_pid_fd', type: 'fd', doc: '`exec`: the container\'s pid namespace, which the stage joins before it clones the process (set by SpawnInit from join_pid_namespace).' },
      { js: 'forkAfterUnshare', type: 'bool', required: true, doc: 'After unshare, fork once more: the child is the container\'s process (a pid or time namespace made by unshare is entered only by children). The first process reports its child\'s pid and exits.' },
      { js: 'timeOffsets', type: 'string', required: true, doc: 'Written to /proc/self/timens_offsets after unshare(CLONE_NEWTIME), before the fork.' },
      { js: 'uidMap', type: 'string', required: true },
      { js: 'gidMap', type: 'string', required: true },
      { js: 'uidMapHelper', type: 'strings', doc: 'newuidmap (newgidmap) and its arguments after the pid, run by the parent instead of writing uid_map (gid_map) itself, for maps it may not write (unprivileged, with /etc/subuid ranges); empty: the parent writes the map.' },
      { js: 'gidMapHelper', type: 'strings' },
      { js: 'setgroupsDeny', type: 'bool', required: true, doc: 'Write "deny" to /proc/PID/setgroups before gid_map (needed when the map is written without CAP_SETGID in the parent namespace).' },
      { js: 'dumpableUntil', type: 'i32', ts: 'DumpableUntil', doc: 'How long the init stays dumpable (DumpableUntil; default Never). A parent without CAP_SYS_PTRACE and CAP_DAC_OVERRIDE (rootless) cannot open a non-dumpable process\'s /proc files: to write the id maps and for the create hooks to join its namespaces (until pivot_root), for startContainer hooks (until exec).' },
      { cpp: 'has_oom_score_adj', type: 'bool', presenceOf: 'oomScoreAdj' },
      { js: 'oomScoreAdj', type: 'i32', required: true, nullable: true, doc: 'Written by the parent to /proc/PID/oom_score_adj; null to leave alone.' },
      { js: 'cgroupProcs', type: 'strings', doc: 'cgroup.procs files (absolute) the parent writes the init\'s pid to before it runs any of the plan.' },
      { js: 'cloneIntoCgroup', type: 'string', doc: 'cgroup v2: the directory clone3 creates the init in (CLONE_INTO_CGROUP), so no migration is needed; cgroupProcs is the fallback where the kernel lacks it.' },
      { js: 'selfPlaceTasks', type: 'strings', doc: 'cgroup v1: `tasks` files the sealed stage writes "0" to, moving itself (one thread, no RCU wait) before it clones the process (src/linux/cgroups/manager.ts placement() says why).' },
      { cpp: 'has_hostname', type: 'bool', presenceOf: 'hostname' },
      { cpp: 'has_domainname', type: 'bool', presenceOf: 'domainname' },
      { js: 'hostname', type: 'string', required: true, nullable: true },
      { js: 'domainname', type: 'string', required: true, nullable: true },
      { js: 'rootfs', type: 'string', required: true, doc: 'Absolute host path of the root filesystem.' },
      { js: 'rootPropagation', type: 'u64', required: true, doc: 'Propagation applied recursively to / of the new mount namespace before anything else, so nothing leaks to the host.' },
      { js: 'mountSteps', type: { list: 'MountStep' }, required: true },
      { js: 'noPivot', type: 'bool', required: true },
      { js: 'inheritMountNamespace', type: 'bool', doc: 'No mount namespace in the config: set up in a new one, then rejoin the runtime\'s (runtime_mnt_ns_fd, opened before clone) before exec, rooted in a detached copy of the rootfs tree.' },
      { cpp: 'runtime_mnt_ns_fd', type: 'fd' },
      { js: 'chrootTo', type: 'string', doc: '`exec` into such a container: chroot here (/proc/PID/root of its init) after joining its namespaces.' },
      { js: 'noPivotDetach', type: 'strings', doc: '--no-pivot: host procfs and sysfs mounts to detach before the rootfs is moved onto "/" (deepest first).' },
      { js: 'postPivotSteps', type: { list: 'MountStep' }, required: true, doc: 'Steps after pivot_root: sysctls are separate; these are masked and read-only paths, root read-only, rootfs propagation.' },
      { js: 'sysctls', type: 'pairs', required: true, doc: '[path under /proc/sys, value] written after pivot_root.' },
      { js: 'rlimits', type: { list: 'Rlimit' }, required: true },
      { js: 'process', type: { struct: 'ProcessPlan' }, required: true },
      { js: 'preserveFds', type: 'i32', required: true, doc: 'How many fds after stdio are passed to the container (--preserve-fds).' },
      { js: 'stateDir', type: 'string', required: true, doc: 'Directory in which the init listens on exec.sock for `start`.' },
      { js: 'sessionKeyring', type: 'string', required: true, doc: 'Name of a new session keyring for the init to join; \'\' to keep the caller\'s.' },
      { js: 'pauseBeforePivot', type: 'bool', required: true, doc: 'Stop before pivot_root until the parent has run the create hooks (spawnInit\'s onPause).' },
      { js: 'terminal', type: 'bool', doc: 'process.terminal: a pty of the container\'s devpts becomes its stdio and /dev/console; the master is sent to consoleSocket.' },
      { js: 'consoleSocket', type: 'string' },
      { js: 'consoleRows', type: 'u16' },
      { js: 'consoleCols', type: 'u16' },
      { js: 'joinOnly', type: 'bool', doc: '`exec`: only join the namespaces (no rootfs set-up, no pivot_root) and exec at once instead of waiting for start on exec.sock.' },
      { js: 'execImmediately', type: 'bool' },
      { js: 'seccompFilter', type: 'bytes', doc: 'A BPF program (struct sock_filter[]) from compileSeccomp, for seccomp(SECCOMP_SET_MODE_FILTER), and its SECCOMP_FILTER_FLAG_*; empty for none.' },
      { js: 'seccompFlags', type: 'u32', onlyWith: 'seccompFilter' },
      { js: 'startContainerHooks', type: { list: 'HookPlan' }, doc: 'hooks.startContainer, run by the init inside the container after `start` connects, right before the program\'s execve.' },
      { js: 'hookStateBeforePid', type: 'string', doc: 'Their stdin: the state JSON, split where the init puts its own pid (as seen in the container).' },
      { js: 'hookStateAfterPid', type: 'string' },
    ],
  },
]

export const roundTripDoc = ROUND_TRIP
