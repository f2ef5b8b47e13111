/**
 * The state dir: <root>/<id>/ holds state.json (written whole to a temp file
 * and renamed, so a reader never sees half of it), exec.sock while the
 * container is created, and serves as the lock (flock on the directory).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OcirtError } from '../errors.js'
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
    annotations: spec.annotations,
    created: new Date().toISOString(),
    initStartTime: '',
    config: spec,
    owner: '',
  }
}

/** runc's rule for container ids. */
const VALID_ID = /^[\w+.-]+$/

export function validateId (id: string | undefined): string {
  if (id === undefined || id === '') throw new OcirtError('container id cannot be empty')
  if (!VALID_ID.test(id) || id === '.' || id === '..') throw new OcirtError(`invalid container id "${id}": only letters, digits, _ + - . are allowed`)
  return id
}

export class StateStore {
  constructor (readonly root: string) {}

  dir (id: string): string {
    return join(this.root, id)
  }

  /** Makes the container's dir. Exactly one of concurrent creates with one id gets it. */
  reserve (id: string): string {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o711 })
    } catch (e) {
      // Typically a user other than root with the default /run/ocirt, or an XDG_RUNTIME_DIR not theirs.
      throw new OcirtError(`cannot make the state directory ${this.root} (--root): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; ` +
        'pass --root DIR (a directory of yours) or set XDG_RUNTIME_DIR (the default root is $XDG_RUNTIME_DIR/ocirt for a user other than root and for root of a user namespace)')
    }
    const dir = this.dir(id)
    try {
      mkdirSync(dir, { mode: 0o711 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OcirtError(`container with id "${id}" already exists`)
      throw e
    }
    return dir
  }

  write (state: StoredState): void {
    const dir = this.dir(state.id)
    const tmp = join(dir, `.state.json.${process.pid}`)
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 })
    renameSync(tmp, join(dir, 'state.json'))
  }

  /** null if there is no such container, or it is still being created (no state.json yet). */
  read (id: string): StoredState | null {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as StoredState
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      throw e
    }
  }

  exists (id: string): boolean {
    try {
      closeSync(openSync(this.dir(id), 'r'))
      return true
    } catch {
      return false
    }
  }

  ids (): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name).sort()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw e
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
    let fd: number
    try {
      fd = openSync(this.dir(id), 'r')
    } catch {
      throw new OcirtError(`container does not exist: "${id}"`)
    }
    try {
      loadNative().flock(fd, true, false)
      return fn()
    } finally {
      closeSync(fd)
    }
  }
}
