/**
 * The state dir: <root>/<id>/ holds state.json (written whole to a temp file
 * and renamed, so a reader never sees half of it), exec.sock while the
 * container is created, and serves as the lock (flock on the directory).
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from '../linux/io.js'
import type { Stats } from '../linux/io.js'
import { join } from '../linux/path.js'
import { containerNotFound, OcirtError } from '../errors.js'
import { describeFsError } from '../fs-errors.js'
import { loadNative } from '../native.js'
import type { ContainerCgroup } from '../linux/cgroups/manager.js'
import type { Spec } from '../spec/types.js'

/** What ocirt keeps about a container. `status` is never stored: it is read off the kernel. */
export interface StoredState {
  ociVersion: string
  id: string
  /** 0 while the container is being created. */
  pid: number
  bundle: string
  rootfs: string
  annotations?: Record<string, string>
  /** ISO time of create. */
  created: string
  /** Start time of the init in clock ticks since boot (/proc/PID/stat field 22), to tell it from a recycled pid. */
  initStartTime: string
  /** The config as it was at create (runtime.md: later changes MUST NOT affect the container). */
  config: Spec
  owner: string
  /** The container's cgroup (absent for a container made by a build without cgroups, or rootless without one). */
  cgroup?: ContainerCgroup
}

/** The state of a container about to be made from `spec`: pid 0, so it reads as "creating". */
export function newContainerState (spec: Spec, id: string, bundle: string, rootfs: string): StoredState {
  return {
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    bundle,
    rootfs,
    ...(spec.annotations !== undefined ? { annotations: spec.annotations } : {}),
    created: new Date().toISOString(),
    initStartTime: '',
    config: spec,
    owner: '',
  }
}

/** runc's rule for container ids. */
const VALID_ID = /^[\w+.-]+$/
/** The id names the state dir and the cgroup dir: one path component (NAME_MAX). */
const MAX_ID_LENGTH = 255

export function validateId (id: string | undefined): string {
  if (id === undefined || id === '') throw new OcirtError('container id cannot be empty')
  if (id.length > MAX_ID_LENGTH) throw new OcirtError(`invalid container id "${id.slice(0, 32)}...": longer than ${MAX_ID_LENGTH} characters`)
  if (!VALID_ID.test(id) || id === '.' || id === '..') throw new OcirtError(`invalid container id "${id}": only letters, digits, _ + - . are allowed`)
  return id
}

/** The errno code of a failed fs call, as a few plain words. */
function describeCode (e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'ENAMETOOLONG') return 'file name too long'
  return code ?? (e as Error).message
}

/**
 * Other local users are hostile: a state dir or state.json they could write
 * would let them choose the hooks (run as root by delete) or the pid that
 * kill signals. Only what belongs to us (or root) and nobody else can write
 * is trusted. runc makes its root 0700 and trusts it; ocirt also checks.
 */
function assertPrivate (st: Stats, what: string, path: string): void {
  const uid = process.geteuid?.() ?? 0
  if (st.uid !== uid && st.uid !== 0) throw new OcirtError(`refusing to use ${what} ${path}: it is owned by uid ${st.uid}, not by this user or root`)
  if ((st.mode & 0o022) !== 0) throw new OcirtError(`refusing to use ${what} ${path}: other users can write to it (mode ${(st.mode & 0o7777).toString(8)})`)
}

function assertPrivateDir (st: Stats, dir: string): void {
  if (!st.isDirectory()) throw new OcirtError(`refusing to use ${dir}: not a directory`)
  assertPrivate(st, 'the container state directory', dir)
}

export class StateStore {
  private rootChecked = false

  constructor (readonly root: string) {}

  /** Throws unless the state root is a directory that only its owner (us or root) can write. */
  private checkRoot (): void {
    if (this.rootChecked) return
    let st: Stats
    try {
      st = lstatSync(this.root)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new OcirtError(`cannot read the state directory ${this.root} (--root): ${describeCode(e)}`)
    }
    if (!st.isDirectory()) throw new OcirtError(`the state directory ${this.root} (--root) is not a directory`)
    assertPrivate(st, 'the state directory (--root)', this.root)
    this.rootChecked = true
  }

  dir (id: string): string {
    return join(this.root, id)
  }

  /** Makes the container's dir. Exactly one of concurrent creates with one id gets it. */
  reserve (id: string): string {
    try {
      // 0700 as runc: exec.sock and state.json below are nobody else's business.
      mkdirSync(this.root, { recursive: true, mode: 0o700 })
    } catch (e) {
      // Typically a user other than root with the default /run/ocirt, or an XDG_RUNTIME_DIR not theirs.
      throw new OcirtError(describeFsError(e, this.root) ?? `cannot make the state directory ${this.root} (--root): ${describeCode(e)}`)
    }
    this.checkRoot()
    const dir = this.dir(id)
    try {
      mkdirSync(dir, { mode: 0o711 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OcirtError(`container with id "${id}" already exists`)
      throw new OcirtError(describeFsError(e, this.root) ?? `cannot make the state directory ${dir}: ${describeCode(e)}`)
    }
    return dir
  }

  /**
   * state.json is a new file of root's, 0600, never written through a
   * symlink (the guide: every file ocirt writes as root is opened without
   * following symlinks; runc's CVE-2019-16884 class), then renamed over the
   * old one. The temp name is the pid's: one left by a process that died with
   * the same pid is removed (unlink does not follow) and made anew.
   */
  write (state: StoredState): void {
    const dir = this.dir(state.id)
    const tmp = join(dir, `.state.json.${process.pid}`)
    const text = JSON.stringify(state)
    const options = { mode: 0o600, flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW }
    try {
      writeFileSync(tmp, text, options)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      unlinkSync(tmp)
      writeFileSync(tmp, text, options)
    }
    renameSync(tmp, join(dir, 'state.json'))
  }

  /**
   * null if there is no such container, or it is still being created (no
   * state.json yet). Only a state.json that ocirt could have written is
   * read: in a private dir, not a symlink, owned by us or root.
   */
  read (id: string): StoredState | null {
    this.checkRoot()
    const dir = this.dir(id)
    let fd: number
    try {
      assertPrivateDir(lstatSync(dir), dir)
      fd = openSync(join(dir, 'state.json'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch (e) {
      if (e instanceof OcirtError) throw e
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      if (code === 'ELOOP') throw new OcirtError(`refusing to read ${join(dir, 'state.json')}: it is a symlink`)
      throw new OcirtError(`cannot read the state of container "${id}" in ${this.root}: ${describeCode(e)}`)
    }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) throw new OcirtError(`refusing to read ${join(dir, 'state.json')}: not a regular file`)
      assertPrivate(st, 'the state file', join(dir, 'state.json'))
      return JSON.parse(readFileSync(fd, 'utf8')) as StoredState
    } catch (e) {
      if (e instanceof OcirtError) throw e
      throw new OcirtError(`cannot read the state of container "${id}": ${join(dir, 'state.json')}: ${e instanceof SyntaxError ? 'not valid JSON' : describeCode(e)}`)
    } finally {
      closeSync(fd)
    }
  }

  exists (id: string): boolean {
    try {
      closeSync(openSync(this.dir(id), 'r'))
      return true
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return false
      // Not "does not exist": delete --force would report success for a container it never saw.
      throw new OcirtError(`cannot read the state of container "${id}" in ${this.root}: ${describeCode(e)}`)
    }
  }

  ids (): string[] {
    this.checkRoot()
    try {
      return readdirSync(this.root, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name).sort()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new OcirtError(`cannot list the state directory ${this.root} (--root): ${describeCode(e)}`)
    }
  }

  remove (id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true })
  }

  /**
   * Runs fn holding the container's lock, so that start, kill and delete of
   * one container are serialized. Throws if the container does not exist.
   */
  withLock<T> (id: string, fn: () => T): T {
    const fd = this.lock(id)
    try {
      return fn()
    } finally {
      closeSync(fd)
    }
  }

  /**
   * withLock for an `fn` that awaits: `start` loads the code of its uncommon
   * paths (hooks, the seccomp agent, stopping after a failure) with import()
   * while it holds the lock (issue 11: code a command loads costs start-up, run or not).
   */
  async withLockAsync<T> (id: string, fn: () => Promise<T>): Promise<T> {
    const fd = this.lock(id)
    try {
      return await fn()
    } finally {
      closeSync(fd)
    }
  }

  /** An fd of the container's dir, locked exclusively; the caller closes it to unlock. */
  private lock (id: string): number {
    let fd: number
    try {
      fd = openSync(this.dir(id), 'r')
    } catch {
      throw containerNotFound(id)
    }
    try {
      loadNative().flock(fd, true, false)
    } catch (e) {
      closeSync(fd)
      throw e
    }
    return fd
  }
}
