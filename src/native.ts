/**
 * The typed surface of the C++ addon (native/). The addon does syscalls and
 * nothing else: every decision about what to mount, which namespaces to make
 * or what to report is taken in TypeScript, and handed to it as an InitPlan.
 *
 * The addon is loaded with process.dlopen from a path next to the executable
 * (dist/ocirt.node beside dist/ocirt) and never extracted into a temp dir:
 * a runtime that runs as root must not dlopen from a directory others can write.
 */
import type { InitPhase, InitPlan, NamespaceJoin } from './generated/plan.js'

// The plan's types and the enums shared with native/ are generated from their one definition,
// scripts/wire/plan-definition.mjs, by scripts/build-wire.mjs (as are native/generated/*).
// The enums' values (InitPhase, MountOp, CreateKind, DumpableUntil) are imported from
// ./generated/plan.js itself: re-exported from here, their tables went into the chunk of
// every command that loads the addon (issue 11, docs/performance.md "Start-up (issue 11)").
export type { Capabilities, HookPlan, InitPlan, MountStep, NamespaceJoin, ProcessPlan, Rlimit, SchedulerPlan } from './generated/plan.js'

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
  // File syscalls for src/linux/io.ts (native/file_io.cc): each returns -errno on failure.
  /** open(path, flags | O_CLOEXEC, mode) → fd. */
  fileOpen (path: string, flags: number, mode: number): number
  fileClose (fd: number): number
  /** The rest of the file behind fd as UTF-8 text. */
  fileReadAll (fd: number): string | number
  /** One write(2) from byte `offset` of data; the bytes written. */
  fileWrite (fd: number, data: string | Uint8Array, offset: number): number
  /** stat (follow), lstat, or fstat (a number): [mode, uid, gid, size, ino, dev, nlink, rdev, mtimeMs]. */
  fileStat (pathOrFd: string | number, follow: boolean): number[] | number
  /** [name, d_type, name, d_type, ...] without . and .. */
  fileReaddir (path: string): Array<string | number> | number
  fileMkdir (path: string, mode: number): number
  fileRmdir (path: string): number
  fileUnlink (path: string): number
  fileRename (from: string, to: string): number
  fileReadlink (path: string): string | number
  /** access(path, mode). */
  fileAccess (path: string, mode: number): number
  /** One read(2) into bytes[offset, offset + length); the bytes read. */
  fileRead (fd: number, bytes: Uint8Array, offset: number, length: number): number
  /** realpath(3). */
  fileRealpath (path: string): string | number
}

let loaded: NativeAddon | undefined

/** process.execPath's directory, without node:path (the executable's path is absolute). */
function executableDir (): string {
  const path = process.execPath
  const slash = path.lastIndexOf('/')
  return slash <= 0 ? '/' : path.slice(0, slash)
}

/**
 * Where the addon may be, in order. node:fs, node:path and node:url are taken
 * only here, when the addon is not beside the executable (tests under node,
 * dist/ocirt.mjs run from elsewhere): their first use costs a compiled
 * executable 4 M instructions of start-up (issue 11).
 */
function addonCandidates (): string[] {
  const { dirname, join } = process.getBuiltinModule('node:path')
  const { fileURLToPath } = process.getBuiltinModule('node:url')
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
  const module = { exports: {} as NativeAddon }
  try {
    // The first candidate, the one a compiled executable uses, tried without node:fs.
    process.dlopen(module, `${executableDir()}/ocirt.node`)
  } catch {
    // Not there, or it failed to load: the search as before, which reports the same error.
    const { existsSync } = process.getBuiltinModule('node:fs')
    const path = addonCandidates().find(p => existsSync(p))
    if (path === undefined) throw new Error(`ocirt.node not found (looked in ${addonCandidates().join(', ')}); run npm run build`)
    process.dlopen(module, path)
  }
  loaded = module.exports
  return loaded
}
