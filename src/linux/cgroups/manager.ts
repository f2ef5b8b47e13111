/**
 * A container's cgroup on the host: made at create (config-linux.md
 * "cgroupsPath"), written with linux.resources, its cgroup.procs files handed
 * to the init's parent (which places the init before it runs anything), read
 * by ps/kill --all/events, frozen by pause, and removed by delete.
 *
 * Only what ocirt made is removed: a cgroup that existed before create is
 * joined and left in place, as are the parents mkdir made on the way (other
 * containers may share them; runc does the same).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, normalize } from 'node:path'
import { ConfigError, OcirtError } from '../../errors.js'
import { sleepSync } from '../../sleep.js'
import type { CgroupLayout, Hierarchy } from './hierarchy.js'
import { dirOf, systemdRunning } from './hierarchy.js'
import { loadNative } from '../../native.js'
import type { CgroupWrite } from './resources.js'

/** What state.json keeps of a container's cgroup. */
export interface ContainerCgroup {
  version: 1 | 2
  /** The cgroup path, absolute within each hierarchy. */
  path: string
  /** Hierarchy key ("memory", "cpu,cpuacct", "name=systemd"; "" on v2) → host directory. */
  dirs: Record<string, string>
  /** The host directories create made (and delete removes). */
  created: string[]
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

function resolveCgroupsPath (cgroupsPath: string | undefined, id: string, h: Hierarchy, systemd: boolean): string {
  if (systemd) checkSystemdPath(cgroupsPath)
  return containerCgroupPath(cgroupsPath, id, h.ownPath)
}

function checkSystemdPath (cgroupsPath: string | undefined): void {
  if (cgroupsPath !== undefined && cgroupsPath.split(':').length !== 3) {
    throw new ConfigError('config.json', '/linux/cgroupsPath', `with --systemd-cgroup it must be "slice:prefix:name", not "${cgroupsPath}"`)
  }
  if (!systemdRunning()) throw new OcirtError('--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); leave the flag out to manage cgroups directly')
  throw new OcirtError('--systemd-cgroup: creating cgroups through systemd is not supported yet by this build of ocirt; leave the flag out to manage cgroups directly')
}

/**
 * The cgroup createCgroup would make, computed without touching the host
 * (create --dry-run): the same path and directories, none of them made.
 */
export function plannedCgroup (layout: CgroupLayout, cgroupsPath: string | undefined, id: string, systemd: boolean): ContainerCgroup {
  const cgroup: ContainerCgroup = { version: layout.version, path: '', dirs: {}, created: [] }
  for (const h of layout.hierarchies) {
    cgroup.path = resolveCgroupsPath(cgroupsPath, id, h, systemd)
    cgroup.dirs[h.key] = dirOf(h, cgroup.path)
  }
  return cgroup
}

/** mkdir for one level; ENOENT means a racing rmdir removed the parent: the caller makes it again. */
function makeDir (dir: string): boolean {
  try {
    mkdirSync(dir)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
}

/** The directories from the hierarchy's mount point down to `dir`, top first. */
function levels (h: Hierarchy, dir: string): string[] {
  const out: string[] = []
  for (let d = dir; d.length > h.mountPoint.length; d = d.slice(0, d.lastIndexOf('/'))) out.unshift(d)
  return out
}

/**
 * v1 cpuset: a new cgroup starts with no CPUs and no memory nodes, and takes
 * no task until it has some (ENOSPC): give each empty level its parent's.
 */
function inheritCpuset (dir: string): void {
  const parent = dir.slice(0, dir.lastIndexOf('/'))
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readFileSync(join(dir, file), 'utf8').trim() === '') writeFileSync(join(dir, file), readFileSync(join(parent, file), 'utf8').trim())
  }
}

/**
 * v2: a controller works in a cgroup only when every ancestor enables it in
 * cgroup.subtree_control. Enable, level by level, all that each one has.
 */
function enableV2Controllers (h: Hierarchy, leaf: string): void {
  for (const dir of [h.mountPoint, ...levels(h, leaf).slice(0, -1)]) {
    const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean)
    const enabled = new Set(readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean))
    const missing = available.filter(c => !enabled.has(c))
    if (missing.length > 0) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map(c => `+${c}`).join(' '))
  }
}

export function createCgroup (layout: CgroupLayout, cgroupsPath: string | undefined, id: string, systemd: boolean): ContainerCgroup {
  if (layout.hierarchies.length === 0) throw new OcirtError('no cgroup hierarchy is mounted on this host (/sys/fs/cgroup)')
  const cgroup: ContainerCgroup = { version: layout.version, path: '', dirs: {}, created: [] }
  try {
    for (const h of layout.hierarchies) {
      const path = resolveCgroupsPath(cgroupsPath, id, h, systemd)
      cgroup.path = path
      const leaf = dirOf(h, path)
      for (let attempt = 0; ; attempt++) {
        try {
          for (const dir of levels(h, leaf)) {
            const made = makeDir(dir)
            // Also a parent that exists but was left empty (made by hand, or by a runtime that does not fill it), as runc's ensureParent.
            if (h.controllers.includes('cpuset')) inheritCpuset(dir)
            if (made && dir === leaf) cgroup.created.push(leaf)
          }
          break
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 3) throw e
        }
      }
      if (layout.version === 2) enableV2Controllers(h, leaf)
      cgroup.dirs[h.key] = leaf
      if (!cgroup.created.includes(leaf)) checkFitForPurpose(leaf, cgroup.path)
    }
  } catch (e) {
    removeCgroup(cgroup)
    if (e instanceof ConfigError || e instanceof OcirtError) throw e
    throw new ConfigError('config.json', '/linux/cgroupsPath', `creating the cgroup: ${(e as Error).message}`)
  }
  return cgroup
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

/**
 * How a new process gets into the container's cgroup without waiting. Moving
 * a process with cgroup.procs takes cgroup_threadgroup_rwsem for writing,
 * which waits for an RCU grace period (10-20 ms measured here, per create
 * and per exec). So: on cgroup v2, and in the cgroup2 hierarchy of a hybrid
 * host, clone3 creates the sealed stage in its cgroup (CLONE_INTO_CGROUP);
 * in v1 hierarchies the stage, single-threaded, moves itself by writing "0"
 * to each `tasks` file, which moves one thread and takes no such lock
 * (kernel/cgroup/cgroup.c cgroup_procs_write_start: the lock is needed only
 * for a pid or a whole thread group). The init and exec'd processes are
 * cloned by the stage and inherit its cgroups. cgroup.procs of the cgroup2
 * hierarchy stays the fallback for kernels before 5.7.
 */
export function placement (c: ContainerCgroup): { cgroupProcs: string[], cloneIntoCgroup?: string, selfPlaceTasks?: string[] } {
  const cgroup2 = c.dirs['']
  if (c.version === 2) return { cgroupProcs: procsFiles(c), cloneIntoCgroup: cgroup2 }
  const v1 = Object.entries(c.dirs).filter(([key]) => key !== '').map(([, dir]) => join(dir, 'tasks'))
  return { cgroupProcs: cgroup2 !== undefined ? [join(cgroup2, 'cgroup.procs')] : [], cloneIntoCgroup: cgroup2, selfPlaceTasks: v1 }
}

/** The cgroup.procs files to place a process in every hierarchy of the container's cgroup. */
export function procsFiles (c: ContainerCgroup): string[] {
  return Object.values(c.dirs).map(d => join(d, 'cgroup.procs'))
}

/** The directory that holds `controller`'s files, or undefined if no hierarchy has it. */
export function dirFor (c: ContainerCgroup, controller: string): string | undefined {
  if (c.version === 2) return c.dirs['']
  const key = Object.keys(c.dirs).find(k => k.split(',').includes(controller))
  return key === undefined ? undefined : c.dirs[key]
}

interface WriteFailure { error: NodeJS.ErrnoException, file: string }

/**
 * Writes the files; a refused write names the config field it came from.
 * With `atomic` (update: the container runs under the old limits), a refused
 * write first puts back every file already written, so that a failed update
 * changes nothing.
 */
export function applyWrites (c: ContainerCgroup, writes: CgroupWrite[], source = 'config.json', atomic = false): void {
  const saved = atomic ? saveCurrentValues(c, writes) : []
  try {
    // The kernel checks some pairs against each other (memory limit and
    // memory+swap, cpu period and quota): a write refused with EINVAL is
    // tried once more after all the others.
    const retry: CgroupWrite[] = []
    for (const w of writes) {
      const failure = writeOne(c, w, source)
      if (failure === null) continue
      if (failure.error.code === 'EINVAL' && writes.length > 1) retry.push(w)
      else throw describeWriteError(w, failure, source)
    }
    for (const w of retry) {
      const failure = writeOne(c, w, source)
      if (failure !== null) throw describeWriteError(w, failure, source)
    }
  } catch (e) {
    restoreValues(saved)
    throw e
  }
}

interface SavedValue { file: string, value: string }

/**
 * The current value of each file the writes change, in the form the file
 * takes back: the whole of a one-value file; for a file keyed by device
 * ("8:0 1048576"), that device's line, or the value that removes the device's
 * entry when it has none. Files that take rules rather than values
 * (devices.allow) are not saved.
 */
function saveCurrentValues (c: ContainerCgroup, writes: CgroupWrite[]): SavedValue[] {
  const saved: SavedValue[] = []
  for (const w of writes) {
    const file = resolveFile(c, w)
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

/** The host file a write goes to: kernels without CFQ have BFQ's weight files only. */
function resolveFile (c: ContainerCgroup, w: CgroupWrite): string | undefined {
  const dir = dirFor(c, w.controller)
  if (dir === undefined) return undefined
  const file = join(dir, w.file)
  if (w.file.startsWith('blkio.weight') && !existsSync(file)) return join(dir, w.file.replace('blkio.', 'blkio.bfq.'))
  return file
}

function writeOne (c: ContainerCgroup, w: CgroupWrite, source: string): WriteFailure | null {
  const dir = dirFor(c, w.controller)
  if (dir === undefined) {
    if (w.optional === true) return null
    throw new ConfigError(source, w.pointer, `the ${w.controller} cgroup controller is not mounted on this host`)
  }
  const file = resolveFile(c, w)!
  if (!existsSync(file)) {
    if (w.optional === true) return null
    const why = c.version === 2 && !controllerEnabled(dir, w.controller)
      ? `the ${w.controller} controller is not available in the container's cgroup`
      : `this kernel has no ${w.file} in the ${w.controller} controller`
    throw new ConfigError(source, w.pointer, why)
  }
  try {
    writeFileSync(file, w.value)
    return null
  } catch (e) {
    return { error: e as NodeJS.ErrnoException, file: basename(file) }
  }
}

function controllerEnabled (dir: string, controller: string): boolean {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)
  } catch {
    return false
  }
}

function describeWriteError (w: CgroupWrite, { error: e, file }: WriteFailure, source: string): ConfigError {
  // The kernel's own words for the errno (node's are the libuv table's: "operation not supported on socket").
  const reason = e.errno !== undefined ? loadNative().strerror(-e.errno).toLowerCase() : e.message
  // The file actually written, which is not always the one planned (blkio.bfq.weight for blkio.weight).
  return new ConfigError(source, w.pointer, `writing "${w.value}" to ${file}: ${reason}`)
}

/** Every process in the container's cgroup and the cgroups below it, each once. */
export function cgroupPids (c: ContainerCgroup): number[] {
  const pids = new Set<number>()
  const walk = (dir: string): void => {
    let entries
    try {
      for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (p !== '') pids.add(Number(p))
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name))
  }
  for (const dir of Object.values(c.dirs)) walk(dir)
  return [...pids].sort((a, b) => a - b)
}

/**
 * rmdir the cgroups create made, sub-cgroups first. A cgroup whose last
 * processes are still exiting is busy for a moment: retry for up to a second.
 */
export function removeCgroup (c: ContainerCgroup): void {
  const failed: string[] = []
  for (const dir of c.created) {
    const deadline = Date.now() + 1000
    while (true) {
      try {
        removeTree(dir)
        break
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'ENOENT') break
        if (code !== 'EBUSY' || Date.now() > deadline) { failed.push(`${dir}: ${code ?? String(e)}`); break }
        sleepSync(10)
      }
    }
  }
  if (failed.length > 0) throw new OcirtError(`removing the container's cgroup: ${failed.join(', ')}`)
}

function removeTree (dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeTree(join(dir, e.name))
  }
  rmdirSync(dir)
}

/** Whether the cgroup still exists (a deleted-by-hand cgroup makes ps and pause fail clearly). */
export function cgroupExists (c: ContainerCgroup): boolean {
  return Object.values(c.dirs).some(d => { try { return statSync(d).isDirectory() } catch { return false } })
}
