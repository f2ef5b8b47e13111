/**
 * A container's cgroup on the host: made at create (config-linux.md
 * "cgroupsPath"), written with linux.resources, its cgroup.procs files handed
 * to the init's parent (which places the init before it runs anything), read
 * by ps/kill --all/events, frozen by pause, and removed by delete.
 *
 * One interface, CgroupManager, with an implementation per kind of host, as
 * youki's libcgroups (the CgroupManager trait) and crun's
 * libcrun_cgroup_manager do: V1Manager (v1.ts, the v1 hierarchies and a
 * hybrid host's cgroup2), V2Manager (v2.ts) and the SystemdManager stub
 * (systemd.ts). cgroupManager() in index.ts picks one from the host's layout
 * and --systemd-cgroup; managerFor() rebuilds one from state.json's record.
 * What every cgroupfs manager does alike (path resolution, mkdir level by
 * level, writes whose errors name the config field, pids, removal) is the
 * CgroupfsManager base class here.
 *
 * Only what ocirt made is removed: a cgroup that existed before create is
 * joined and left in place, as are the parents mkdir made on the way (other
 * containers may share them; runc does the same).
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from '../io.js'
import { basename, join, normalize } from '../path.js'
import { ConfigError, OcirtError } from '../../errors.js'
import type { LinuxResources } from '../../spec/types.js'
import type { Hierarchy } from './hierarchy.js'
import { dirOf } from './hierarchy.js'
import { loadNative } from '../../native.js'
import type { CgroupWrite } from './resources.js'
import { resourceWrites } from './resources.js'
import type { PointedRule } from './devices.js'
import type { Stats } from './stats.js'
import { cgroupExists, cgroupPids, removeCgroup } from './existing.js'

/**
 * What state.json keeps of a container's cgroup. Its shape is what older
 * builds wrote: a container they created is still managed (managerFor) and
 * deleted from it.
 */
export interface ContainerCgroup {
  version: 1 | 2
  /** The cgroup path, absolute within each hierarchy. */
  path: string
  /** Hierarchy key ("memory", "cpu,cpuacct", "name=systemd"; "" on v2) → host directory. */
  dirs: Record<string, string>
  /** The host directories create made (and delete removes). */
  created: string[]
}

/** How the init's parent puts a new process into the container's cgroup (see the implementations' placement). */
export interface Placement {
  cgroupProcs: string[]
  cloneIntoCgroup?: string | undefined
  selfPlaceTasks?: string[]
}

export interface CgroupManager {
  readonly version: 1 | 2
  /** The cgroup create would make, computed without touching the host (create --dry-run). */
  planned (cgroupsPath: string | undefined, id: string): ContainerCgroup
  /** Makes the planned cgroup; on failure removes what it made. */
  create (cgroupsPath: string | undefined, id: string): ContainerCgroup
  /** linux.resources → the files to write, in this version's names and units (pure). */
  resourceWrites (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] }
  /** The device rules as file writes (v1's devices controller), or undefined where they are a program (v2's eBPF filter). */
  deviceWrites (rules: PointedRule[]): CgroupWrite[] | undefined
  placement (c: ContainerCgroup): Placement
  /** The directory that holds `controller`'s files, or undefined if no hierarchy has it. */
  dirFor (c: ContainerCgroup, controller: string): string | undefined
  /**
   * Writes the files; a refused write names the config field it came from.
   * With `atomic` (update: the container runs under the old limits), a
   * refused write first puts back every file already written.
   */
  applyWrites (c: ContainerCgroup, writes: CgroupWrite[], source?: string, atomic?: boolean): void
  /** Replaces the cgroup's device rules whole. */
  applyDeviceRules (c: ContainerCgroup, rules: PointedRule[], source?: string): void
  /** The memory the cgroup uses now, in bytes; undefined without a memory controller. */
  memoryUsage (c: ContainerCgroup): number | undefined
  hasFreezer (c: ContainerCgroup): boolean
  /** Whether the cgroup is frozen (or freezing): `state` reports it as paused. */
  isFrozen (c: ContainerCgroup): boolean
  /** Freezes or thaws, and waits until the kernel reports it done, so that `pause` returning means nothing runs. */
  setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs?: number): void
  /** Every process in the cgroup and the cgroups below it, each once. */
  pids (c: ContainerCgroup): number[]
  /** `events --stats`, in the JSON shape runc prints. */
  stats (c: ContainerCgroup): Stats
  /** How many processes of the cgroup the OOM killer has killed so far. */
  oomKillCount (c: ContainerCgroup): number
  /** rmdir the cgroups create made, sub-cgroups first. */
  remove (c: ContainerCgroup): void
  /** Whether the cgroup still exists (a deleted-by-hand cgroup makes ps and pause fail clearly). */
  exists (c: ContainerCgroup): boolean
}

/**
 * config-linux.md "cgroupsPath": absolute is relative to each hierarchy's
 * root; relative (and absent: the container id) is relative to the cgroup
 * the runtime runs in, as with runc. ".." cannot climb out of either.
 */
export function containerCgroupPath (cgroupsPath: string | undefined, id: string, ownPath: string): string {
  const given = cgroupsPath ?? id
  if (given.startsWith('/')) return normalize(given).replace(/\/+$/, '') || '/'
  return join(ownPath, normalize(`/${given}`))
}

/**
 * mkdir for one level; ENOENT means a racing rmdir removed the parent: the
 * caller makes it again. Mode 0755 (less the umask) as runc's, not 0777:
 * under umask 000 another user could make cgroups in ours (and a rootless
 * ocirt made one there that it then could not enter).
 */
function makeDir (dir: string): boolean {
  try {
    mkdirSync(dir, 0o755)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
}

/** The directories from the hierarchy's mount point down to `dir`, top first. */
export function levels (h: Hierarchy, dir: string): string[] {
  const out: string[] = []
  for (let d = dir; d.length > h.mountPoint.length; d = d.slice(0, d.lastIndexOf('/'))) out.unshift(d)
  return out
}

/** The one file of a cgroup, trimmed; undefined when it cannot be read. */
export function readCgroupFile (dir: string | undefined, file: string): string | undefined {
  if (dir === undefined) return undefined
  try {
    return readFileSync(join(dir, file), 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * Writes one value to a cgroup file as one write(2): open O_WRONLY (a
 * cgroupfs file cannot be created, so ENOENT means the kernel has no such
 * file), write, close; 3 syscalls where writeFileSync's O_CREAT open and
 * ftruncate, after an existence check, made 5. O_NOFOLLOW: a file ocirt
 * writes as root is never reached through a symlink.
 */
export function writeCgroupFile (file: string, value: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW)
  try {
    // As writeFileSync did, an empty value opens the file and writes nothing (a write of 0 bytes reaches the kernel's handler).
    if (value !== '') writeSync(fd, value)
  } finally {
    closeSync(fd)
  }
}

/**
 * config-linux.md "Control groups": a runtime that checks whether the
 * container's cgroup is fit for purpose MUST fail when it is not. An existing
 * cgroup that already holds processes, or is frozen, is not: the new
 * container would share limits, or never run.
 */
function checkFitForPurpose (dir: string, path: string): void {
  const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim()
  if (procs !== '') {
    throw new ConfigError('config.json', '/linux/cgroupsPath', `the cgroup ${path} already has processes (${procs.split('\n').length}): a container needs a cgroup of its own`)
  }
  const frozen = existsSync(join(dir, 'freezer.state'))
    ? readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED'
    : existsSync(join(dir, 'cgroup.freeze')) && readFileSync(join(dir, 'cgroup.freeze'), 'utf8').trim() === '1'
  if (frozen) throw new ConfigError('config.json', '/linux/cgroupsPath', `the cgroup ${path} is frozen: the container could not run`)
}

interface WriteFailure { error: NodeJS.ErrnoException, file: string }
interface SavedValue { file: string, value: string }

/**
 * A manager that writes the cgroup filesystem itself (runc's fs and fs2
 * managers). Subclasses say what differs between v1 and v2.
 */
export abstract class CgroupfsManager implements CgroupManager {
  abstract readonly version: 1 | 2

  /**
   * `hierarchies`: the host's (detectCgroupLayout), which create needs. A
   * manager rebuilt from state.json's record acts on the record's
   * directories and is given none.
   */
  constructor (protected readonly hierarchies: readonly Hierarchy[]) {}

  abstract resourceWrites (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] }
  abstract deviceWrites (rules: PointedRule[]): CgroupWrite[] | undefined
  abstract placement (c: ContainerCgroup): Placement
  abstract dirFor (c: ContainerCgroup, controller: string): string | undefined
  abstract applyDeviceRules (c: ContainerCgroup, rules: PointedRule[], source?: string): void
  abstract memoryUsage (c: ContainerCgroup): number | undefined
  abstract hasFreezer (c: ContainerCgroup): boolean
  abstract isFrozen (c: ContainerCgroup): boolean
  abstract setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs?: number): void
  abstract stats (c: ContainerCgroup): Stats
  abstract oomKillCount (c: ContainerCgroup): number

  /** Called on each level of the path as create walks down to it (made now or there before). */
  protected prepareLevel (_h: Hierarchy, _dir: string): void {}
  /** Called once the whole path of a hierarchy exists. */
  protected prepareLeaf (_h: Hierarchy, _leaf: string): void {}
  /** Why a write's file is missing from the cgroup's directory. */
  protected missingFileReason (_dir: string, w: CgroupWrite): string {
    return `this kernel has no ${w.file} in the ${w.controller} controller`
  }

  planned (cgroupsPath: string | undefined, id: string): ContainerCgroup {
    const cgroup: ContainerCgroup = { version: this.version, path: '', dirs: {}, created: [] }
    for (const h of this.hierarchies) {
      cgroup.path = containerCgroupPath(cgroupsPath, id, h.ownPath)
      cgroup.dirs[h.key] = dirOf(h, cgroup.path)
    }
    return cgroup
  }

  create (cgroupsPath: string | undefined, id: string): ContainerCgroup {
    if (this.hierarchies.length === 0) throw new OcirtError('no cgroup hierarchy is mounted on this host (/sys/fs/cgroup)')
    const planned = this.planned(cgroupsPath, id)
    // Filled as the directories come to exist, so that a failure removes only what this create made.
    const cgroup: ContainerCgroup = { version: planned.version, path: planned.path, dirs: {}, created: [] }
    try {
      for (const h of this.hierarchies) {
        const leaf = planned.dirs[h.key]
        if (leaf === undefined) throw new OcirtError(`no planned directory for the cgroup hierarchy ${h.mountPoint}`)
        for (let attempt = 0; ; attempt++) {
          try {
            for (const dir of levels(h, leaf)) {
              const made = makeDir(dir)
              this.prepareLevel(h, dir)
              if (made && dir === leaf) cgroup.created.push(leaf)
            }
            break
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 3) throw e
          }
        }
        this.prepareLeaf(h, leaf)
        cgroup.dirs[h.key] = leaf
        if (!cgroup.created.includes(leaf)) checkFitForPurpose(leaf, cgroup.path)
      }
    } catch (e) {
      this.remove(cgroup)
      if (e instanceof ConfigError || e instanceof OcirtError) throw e
      throw new ConfigError('config.json', '/linux/cgroupsPath', `creating the cgroup: ${(e as Error).message}`)
    }
    return cgroup
  }

  protected resourceWritesOf (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] } {
    return resourceWrites(this.version, resources, source)
  }

  applyWrites (c: ContainerCgroup, writes: CgroupWrite[], source = 'config.json', atomic = false): void {
    const saved = atomic ? this.saveCurrentValues(c, writes) : []
    try {
      // The kernel checks some pairs against each other (memory limit and
      // memory+swap, cpu period and quota): a write refused with EINVAL is
      // tried once more after all the others.
      const retry: CgroupWrite[] = []
      for (const w of writes) {
        const failure = this.writeOne(c, w, source)
        if (failure === null) continue
        if (failure.error.code === 'EINVAL' && writes.length > 1) retry.push(w)
        else throw describeWriteError(w, failure, source)
      }
      for (const w of retry) {
        const failure = this.writeOne(c, w, source)
        if (failure !== null) throw describeWriteError(w, failure, source)
      }
    } catch (e) {
      restoreValues(saved)
      throw e
    }
  }

  /**
   * The current value of each file the writes change, in the form the file
   * takes back: the whole of a one-value file; for a file keyed by device
   * ("8:0 1048576"), that device's line, or the value that removes the
   * device's entry when it has none. Files that take rules rather than
   * values (devices.allow) are not saved.
   */
  private saveCurrentValues (c: ContainerCgroup, writes: CgroupWrite[]): SavedValue[] {
    const saved: SavedValue[] = []
    for (const w of writes) {
      const file = this.resolveFile(c, w)
      if (file === undefined || w.file.startsWith('devices.')) continue
      let current: string
      try {
        current = readFileSync(file, 'utf8').trim()
      } catch {
        continue
      }
      const device = /^(\d+:\d+) /.exec(w.value)?.[1]
      if (device === undefined) {
        if (!current.includes('\n')) saved.push({ file, value: current })
        continue
      }
      const line = current.split('\n').find(l => l.startsWith(`${device} `))
      if (line !== undefined) saved.push({ file, value: line })
      else if (w.file.startsWith('blkio.throttle.')) saved.push({ file, value: `${device} 0` })
      else if (w.file === 'io.max') saved.push({ file, value: `${device} rbps=max wbps=max riops=max wiops=max` })
    }
    return saved
  }

  /** The host file a write goes to: kernels without CFQ have BFQ's weight files only. */
  private resolveFile (c: ContainerCgroup, w: CgroupWrite): string | undefined {
    const dir = this.dirFor(c, w.controller)
    if (dir === undefined) return undefined
    const file = join(dir, w.file)
    if (w.file.startsWith('blkio.weight') && !existsSync(file)) return join(dir, w.file.replace('blkio.', 'blkio.bfq.'))
    return file
  }

  private writeOne (c: ContainerCgroup, w: CgroupWrite, source: string): WriteFailure | null {
    const dir = this.dirFor(c, w.controller)
    const file = this.resolveFile(c, w)
    if (dir === undefined || file === undefined) {
      if (w.optional === true) return null
      throw new ConfigError(source, w.pointer, `the ${w.controller} cgroup controller is not mounted on this host`)
    }
    try {
      writeCgroupFile(file, w.value)
      return null
    } catch (e) {
      const error = e as NodeJS.ErrnoException
      if (error.code !== 'ENOENT') return { error, file: basename(file) }
      if (w.optional === true) return null
      throw new ConfigError(source, w.pointer, this.missingFileReason(dir, w))
    }
  }

  pids (c: ContainerCgroup): number[] {
    return cgroupPids(c)
  }

  remove (c: ContainerCgroup): void {
    removeCgroup(c)
  }

  exists (c: ContainerCgroup): boolean {
    return cgroupExists(c)
  }
}

/** Puts saved values back, last written first; the kernel's pairwise checks get a second pass, as when writing. */
function restoreValues (saved: SavedValue[]): void {
  let pending = [...saved].reverse()
  for (let pass = 0; pass < 2 && pending.length > 0; pass++) {
    pending = pending.filter(({ file, value }) => {
      try {
        writeFileSync(file, value)
        return false
      } catch {
        return true
      }
    })
  }
}

function describeWriteError (w: CgroupWrite, { error: e, file }: WriteFailure, source: string): ConfigError {
  // The kernel's own words for the errno (node's are the libuv table's: "operation not supported on socket").
  const reason = e.errno !== undefined ? loadNative().strerror(-e.errno).toLowerCase() : e.message
  // The file actually written, which is not always the one planned (blkio.bfq.weight for blkio.weight).
  return new ConfigError(source, w.pointer, `writing "${w.value}" to ${file}: ${reason}`)
}
