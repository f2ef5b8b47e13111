/**
 * The typed surface of the C++ addon (native/). The addon does syscalls and
 * nothing else: every decision about what to mount, which namespaces to make
 * or what to report is taken in TypeScript, and handed to it as an InitPlan.
 *
 * The addon is loaded with process.dlopen from a path next to the executable
 * (dist/ocirt.node beside dist/ocirt) and never extracted into a temp dir:
 * a runtime that runs as root must not dlopen from a directory others can write.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One step of the mount phase, executed in order by the init child. */
export interface MountStep {
  op: MountOp
  /** Path of the target. Before pivot_root: relative to the rootfs (resolved inside it, never following a symlink out); after: absolute in the container. */
  target: string
  source?: string
  fstype?: string
  /** MS_* flags for mount(2). */
  flags?: number
  data?: string
  /** What to create at the target if it is missing. */
  create?: CreateKind
  /** For MKNOD: st_mode (type bits | permissions), dev_t, owner. */
  mode?: number
  major?: number
  minor?: number
  uid?: number
  gid?: number
  /** For SETATTR: mount_setattr attributes to set and clear (MOUNT_ATTR_*), and whether recursively. */
  attrSet?: number
  attrClr?: number
  recursive?: boolean
  /** The target may not be reached through any symlink (procfs and sysfs targets). */
  noSymlinks?: boolean
  /** For IDMAPPED_BIND: the mapping's user namespace, a path to it or the maps of a new one ("inside outside count" lines). */
  idmapUserns?: string
  idmapUidMap?: string
  idmapGidMap?: string
  /** For MOUNT: tmpcopyup, the new mount starts with a copy of the directory under it. */
  copyUp?: boolean
}

// Plain objects rather than enums: they survive every transpiler (bun, ts-node) unchanged.
export const MountOp = {
  /** mount(source, target, fstype, flags, data) */
  Mount: 1,
  /** mount(NULL, target, NULL, flags | MS_REMOUNT, data); keeps locked flags in a user namespace */
  Remount: 2,
  /** mount(NULL, target, NULL, propagation flags, NULL) */
  Propagate: 3,
  /** mknod(target, mode, makedev(major, minor)) then chown(uid, gid), replacing a non-directory */
  Mknod: 4,
  /** Bind-mount the host device `source` onto the target (where mknod is not allowed: user namespaces) */
  BindDevice: 5,
  /** symlink(source, target); an existing target is left alone */
  Symlink: 6,
  /** Mask: /dev/null over a file, a read-only empty tmpfs over a directory; missing targets are skipped */
  Mask: 7,
  /** Bind the target onto itself and remount it read-only; missing targets are skipped */
  ReadOnly: 8,
  /** mkdir -p inside the root */
  Mkdir: 9,
  /** mount_setattr(target, attrSet, attrClr) for the recursive r* options */
  SetAttr: 10,
  /**
   * Id-mapped bind mount (idmap/ridmap): before clone the runtime clones `source` (flags MS_REC: with its
   * submounts) and sets MOUNT_ATTR_IDMAP (recursive: on the submounts too); the init moves it onto the target.
   */
  IdmappedBind: 11,
  /**
   * Bind mount in a container with a user namespace, whose root may not reach the source (docker
   * --userns-remap, podman --userns): the runtime opens `source` in the init's new mount namespace with
   * its own access and passes the fd; the init binds from it (flags: MS_BIND, MS_REC for rbind).
   */
  DetachedBind: 12,
} as const
export type MountOp = typeof MountOp[keyof typeof MountOp]

/** Mirrors enum DumpableUntil in native/init.h. */
export const DumpableUntil = { Never: 0, Pivot: 1, Exec: 2 } as const
export type DumpableUntil = typeof DumpableUntil[keyof typeof DumpableUntil]

export const CreateKind = { None: 0, Directory: 1, File: 2 } as const
export type CreateKind = typeof CreateKind[keyof typeof CreateKind]

export interface NamespaceJoin { type: number, path: string }

export interface Rlimit { resource: number, soft: bigint, hard: bigint }

export interface Capabilities {
  bounding: bigint
  effective: bigint
  inheritable: bigint
  permitted: bigint
  ambient: bigint
}

export interface ProcessPlan {
  args: string[]
  env: string[]
  cwd: string
  /** Directories of the container's PATH, searched for args[0] when it has no slash (as runc's LookPath). */
  searchPath: string[]
  uid: number
  gid: number
  additionalGids: number[]
  /** -1 to leave the umask alone. */
  umask: number
  noNewPrivileges: boolean
  /** null: keep what the process has (no capabilities object in the config means none, which the plan says explicitly). */
  capabilities: Capabilities | null
  /** Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  lastCap: number
  /** personality(2) persona (linux.personality). */
  personality?: number
  /** sched_setattr(2) of the process (process.scheduler): SCHED_* policy, SCHED_FLAG_* flags. */
  scheduler?: { policy: number, flags: number, nice: number, priority: number, runtime: bigint, deadline: bigint, period: bigint }
  /** ioprio_set(2) value, class << 13 | priority (process.ioPriority). */
  ioPriority?: number
  /** CPUs the new process runs on from its clone (set by the runtime), and from just before exec (execCPUAffinity). */
  initialCpus?: number[]
  finalCpus?: number[]
  /** The LSM label the program gets at execve (AppArmor "exec <profile>", or an SELinux context), written to the first of these files under /proc/thread-self/ that exists. */
  execLabelFiles?: string[]
  execLabel?: string
}

export interface InitPlan {
  /** CLONE_NEW* flags given to clone3. */
  cloneFlags: number
  /** CLONE_NEW* flags unshared by the child after it has joined namespaces and the parent has released it. */
  unshareFlags: number
  /** Namespaces the child joins with setns, in this order. */
  joinNamespaces: NamespaceJoin[]
  /** A pid namespace the parent joins for its children before clone3 (setns on a pid namespace applies to children only). */
  joinPidNamespace: string
  /**
   * After unshare, fork once more: the child is the container's process (a pid or time namespace
   * made by unshare is entered only by children). The first process reports its child's pid and exits.
   */
  forkAfterUnshare: boolean
  /** Written to /proc/self/timens_offsets after unshare(CLONE_NEWTIME), before the fork. */
  timeOffsets: string
  uidMap: string
  gidMap: string
  /** newuidmap (newgidmap) and its arguments after the pid, run by the parent instead of writing uid_map (gid_map) itself. */
  uidMapHelper?: string[]
  gidMapHelper?: string[]
  /**
   * How long the init stays dumpable (DumpableUntil; default Never). A parent without CAP_SYS_PTRACE and
   * CAP_DAC_OVERRIDE (rootless) cannot open a non-dumpable process's /proc files: to write the id maps
   * and for the create hooks to join its namespaces (until pivot_root), for startContainer hooks (until exec).
   */
  dumpableUntil?: DumpableUntil
  /** Write "deny" to /proc/PID/setgroups before gid_map (needed when the map is written without CAP_SETGID in the parent namespace). */
  setgroupsDeny: boolean
  /** cgroup.procs files (absolute) the parent writes the init's pid to before it runs any of the plan. */
  cgroupProcs?: string[]
  /** cgroup v2: the directory clone3 creates the init in (CLONE_INTO_CGROUP); cgroupProcs is the fallback for older kernels. */
  cloneIntoCgroup?: string
  /** cgroup v1: `tasks` files the sealed stage writes "0" to, moving itself (one thread, no RCU wait) before it clones the process. */
  selfPlaceTasks?: string[]
  /** Written by the parent to /proc/PID/oom_score_adj; null to leave alone. */
  oomScoreAdj: number | null
  hostname: string | null
  domainname: string | null
  /** Absolute host path of the root filesystem. */
  rootfs: string
  /** Propagation applied recursively to / of the new mount namespace before anything else, so nothing leaks to the host. */
  rootPropagation: number
  mountSteps: MountStep[]
  noPivot: boolean
  /** No mount namespace in the config: set up in a new one, then rejoin the runtime's, rooted in a detached copy of the rootfs tree. */
  inheritMountNamespace?: boolean
  /** `exec` into such a container: chroot here (/proc/PID/root of its init) after joining its namespaces. */
  chrootTo?: string
  /** --no-pivot: host procfs and sysfs mounts to detach before the rootfs is moved onto "/" (deepest first). */
  noPivotDetach?: string[]
  /** Steps after pivot_root: sysctls are separate; these are masked and read-only paths, root read-only, rootfs propagation. */
  postPivotSteps: MountStep[]
  /** [path under /proc/sys, value] written after pivot_root. */
  sysctls: Array<[string, string]>
  rlimits: Rlimit[]
  process: ProcessPlan
  /** How many fds after stdio are passed to the container (--preserve-fds). */
  preserveFds: number
  /** Directory in which the init listens on exec.sock for `start`. */
  stateDir: string
  /** Name of a new session keyring for the init to join; '' to keep the caller's. */
  sessionKeyring: string
  /** Stop before pivot_root and call spawnInit's onPause (the create hooks run then). */
  pauseBeforePivot: boolean
  /** process.terminal: a pty of the container's devpts is its stdio; the master is sent to consoleSocket. */
  terminal?: boolean
  consoleSocket?: string
  consoleRows?: number
  consoleCols?: number
  /** `exec`: only join the namespaces (no rootfs set-up, no pivot_root) and exec at once instead of waiting for start. */
  joinOnly?: boolean
  execImmediately?: boolean
  /** A BPF program (struct sock_filter[]) from compileSeccomp, and SECCOMP_FILTER_FLAG_* for seccomp(2). */
  seccompFilter?: Buffer
  seccompFlags?: number
  /** hooks.startContainer, run by the init inside the container right before the program's execve. */
  startContainerHooks?: Array<{ path: string, args: string[], env: string[], timeout: number }>
  /** Their stdin: the state JSON, split where the init puts its own pid (as seen in the container). */
  hookStateBeforePid?: string
  hookStateAfterPid?: string
}

export interface SeccompRequest {
  /** libseccomp action values (SCMP_ACT_*). */
  defaultAction: number
  /** libseccomp architecture names: x86_64, x86, aarch64, ... */
  architectures: string[]
  rules: Array<{ syscall: string, action: number, args: Array<{ index: number, op: number, value: bigint, valueTwo: bigint }> }>
  /** Prepend runc's stub: per architecture, a syscall above every one the rules name gets ENOSYS. */
  enosysStub?: boolean
}

export interface HookRun {
  path: string
  args: string[]
  env: string[]
  stdin: string
  /** 0: no timeout. */
  timeoutMs: number
  /** Joined in this order before exec (a pid namespace through one more fork); []: the runtime's. */
  namespaces: NamespaceJoin[]
  /** The hook's working directory, resolved after joining the namespaces; '' keeps ocirt's (or "/" in the container's). */
  cwd?: string
}

export interface HookResult { status: number | null, signal: number | null, timedOut: boolean, output: string }

/** Where the init child failed; the TS side turns this into a message naming the config path. */
export interface InitFailure { phase: InitPhase, step: number, errno: number, message: string }

/** Mirrors enum Phase in native/init.h. */
export const InitPhase = {
  Sync: 1, Setns: 2, Unshare: 3, Hostname: 4, RootPropagation: 5, RootBind: 6,
  MountStep: 7, Pivot: 8, PostPivotStep: 9, Sysctl: 10, Rlimit: 11, Identity: 12,
  Capabilities: 13, NoNewPrivileges: 14, ExecLookup: 15, Cwd: 16, UserMap: 17, Listen: 18,
  OomScoreAdj: 19, Clone: 20, Keyring: 21, TimeOffsets: 22, Fork: 23, Seccomp: 24, Exec: 25, Console: 26, ConsoleSocket: 27, Cgroup: 28,
  Personality: 29, Scheduler: 30, IoPriority: 31, CpuAffinity: 32, SecurityLabel: 33, Session: 34,
  Stage: 35,
} as const
export type InitPhase = typeof InitPhase[keyof typeof InitPhase]

export interface ExitStatus { status: number | null, signal: number | null }

export interface NativeAddon {
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of our children become ours, as with containerd-shim and conmon. */
  setChildSubreaper (): void
  /** waitpid(pid): null if noHang and still running; throws on ECHILD. */
  waitPid (pid: number, noHang: boolean): ExitStatus | null
  /** waitpid(pid) on a worker thread, so that the event loop can forward signals meanwhile. */
  waitPidAsync (pid: number): Promise<ExitStatus>
  /** flock(fd): false if nonBlocking and the lock is held elsewhere. */
  flock (fd: number, exclusive: boolean, nonBlocking: boolean): boolean
  /** pidfd_open(pid); -1 with errno ESRCH if the process is gone. */
  pidfdOpen (pid: number): number
  /** pidfd_send_signal: signals exactly the process the pidfd was opened for, never a recycled pid. */
  pidfdSendSignal (pidfd: number, signal: number): void
  /** Waits up to timeoutMs for the process behind pidfd to exit; true if it has. */
  pidfdWait (pidfd: number, timeoutMs: number): boolean
  /**
   * Clones the container's init and runs the plan up to the point where it waits for `start`. Throws an Error with `.failure` (InitFailure).
   * A seccomp listener fd (SCMP_ACT_NOTIFY) the process loads meanwhile goes to onSeccompListener as it arrives; it is closed after the call.
   */
  spawnInit (plan: InitPlan, onPause?: (pid: number) => void, onSeccompListener?: (pid: number, fd: number) => void): {
    pid: number
    /**
     * A created container's init (not exec's) dies with us until we write one
     * byte here (its pid is recorded); closing it unwritten makes it exit. -1 for exec.
     */
    recordedFd: number
  }
  /** Compiles a seccomp filter with libseccomp; syscalls unknown on this architecture are listed, not filtered. */
  compileSeccomp (request: SeccompRequest): { filter: Buffer, unknownSyscalls: string[] }
  /** Runs a hook to its end (or its timeout), its state on stdin; stdout and stderr are collected (64 KiB). */
  runHook (hook: HookRun): HookResult
  /**
   * Connects to the init's exec.sock in stateDir, which lets it exec the user program.
   * Returns '' once the program is exec'd, or the init's error text. Throws with code ECONNREFUSED/ENOENT if no init listens.
   * A seccomp listener fd loaded just before exec goes to onSeccompListener as it arrives; it is closed after the call.
   */
  releaseInit (stateDir: string, onSeccompListener?: (fd: number) => void): string
  /** Connects to the unix socket at path and sends `message` with `fd` attached (SCM_RIGHTS), then closes the connection. */
  sendSeccompListener (path: string, fd: number, message: string): void
  /** Whether the kernel has a seccomp return action (SECCOMP_RET_*) or filter flag (SECCOMP_FILTER_FLAG_*). */
  seccompSupported (kind: 'action' | 'flag', value: number): boolean
  /** A regular file of the rootfs, its path resolved inside the rootfs; null if there is none. At most `limit` bytes. */
  readFileInRoot (rootfs: string, path: string, limit: number): string | null
  /** A listening unix socket bound at path (as a console-socket owner makes). */
  listenUnix (path: string): number
  /** Accepts one connection (waiting up to timeoutMs) and receives the fd it sends with SCM_RIGHTS (up to 10 s more); null if none. */
  receiveFd (listenFd: number, timeoutMs: number): { fd: number, name: string } | null
  /** errno → strerror text, for messages. */
  strerror (errno: number): string
  /**
   * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (compileDeviceFilter) and attaches it to the cgroup v2
   * directory with BPF_F_ALLOW_MULTI, then detaches the device programs attached there before.
   */
  attachDeviceFilter (cgroupDir: string, program: Buffer): void
  /** --preserve-fds: 0 if fd may be the caller's, its errno if it is not open (EBADF), -1 if it is the JS runtime's own epoll or eventfd. */
  preservedFdProblem (fd: number): number
  /**
   * Test hook (test/unit/wire.test.ts): unmarshals the plan as spawnInit does (throwing on an unknown or a
   * missing key, naming struct and key), encodes it for the stage, decodes it and checks that it re-encodes
   * to the same bytes; returns the byte count.
   */
  checkPlanWire (plan: InitPlan): number
}

let loaded: NativeAddon | undefined

function addonCandidates (): string[] {
  const candidates = [join(dirname(process.execPath), 'ocirt.node')]
  try {
    const here = dirname(fileURLToPath(import.meta.url))
    // dist/ocirt.mjs → dist/ocirt.node; src/native.ts (tests) → ../dist/ocirt.node
    candidates.push(join(here, 'ocirt.node'), join(here, '..', 'dist', 'ocirt.node'), join(here, '..', 'build', 'Release', 'ocirt.node'))
  } catch {
    // import.meta.url is not a file: URL inside a compiled executable; the execPath candidate covers it.
  }
  return candidates
}

export function loadNative (): NativeAddon {
  if (loaded !== undefined) return loaded
  const path = addonCandidates().find(p => existsSync(p))
  if (path === undefined) throw new Error(`ocirt.node not found (looked in ${addonCandidates().join(', ')}); run npm run build`)
  const module = { exports: {} as NativeAddon }
  process.dlopen(module, path)
  loaded = module.exports
  return loaded
}
