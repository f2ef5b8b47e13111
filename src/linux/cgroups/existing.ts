/**
 * What the later commands do to a created container's cgroup, from the
 * record state.json keeps: whether it is frozen (`state` reports paused),
 * freeze and thaw (`kill --all`), its processes, whether it exists, and its
 * removal (`delete`). The managers (v1.ts, v2.ts, manager.ts) do these
 * through the same functions; they live here, apart from the managers'
 * resource writes, device filters and stats, because `state`, `kill` and
 * `delete` run them and a compiled bun pays for the code a command loads,
 * run or not (issue 11, docs/performance.md "What loading a chunk costs").
 */
import { readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from '../io.js'
import { join } from '../path.js'
import { OcirtError } from '../../errors.js'
import { sleepSync } from '../../sleep.js'
import type { ContainerCgroup } from './manager.js'

/** v1: the directory of the hierarchy whose key names `controller` ("cpu,cpuacct" holds cpu), or undefined if none does. */
export function v1ControllerDir (c: ContainerCgroup, controller: string): string | undefined {
  const key = Object.keys(c.dirs).find(k => k.split(',').includes(controller))
  return key === undefined ? undefined : c.dirs[key]
}

/** v2: the container's one directory (the hierarchy key is ""). */
export function unifiedDir (c: ContainerCgroup): string {
  const dir = c.dirs['']
  if (dir === undefined) throw new OcirtError(`the container's cgroup record has no cgroup2 directory (${JSON.stringify(c.dirs)})`)
  return dir
}

/** Whether the cgroup can be frozen: v1 needs the freezer hierarchy; cgroup.freeze is in every v2 cgroup but the root. */
export function hasFreezer (c: ContainerCgroup): boolean {
  return c.version === 2 || v1ControllerDir(c, 'freezer') !== undefined
}

/** Whether the cgroup is frozen (or, on v1, freezing): `state` reports it as paused. Unreadable is not frozen. */
export function isFrozen (c: ContainerCgroup): boolean {
  try {
    if (c.version === 2) return readFileSync(join(unifiedDir(c), 'cgroup.freeze'), 'utf8').trim() === '1'
    const dir = v1ControllerDir(c, 'freezer')
    return dir !== undefined && readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED'
  } catch {
    return false
  }
}

/** Freezes or thaws, and waits until the kernel reports it done, so that `pause` returning means nothing runs. */
export function setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs = 10_000): void {
  if (c.version === 2) setFrozenV2(c, frozen, timeoutMs)
  else setFrozenV1(c, frozen, timeoutMs)
}

function setFrozenV1 (c: ContainerCgroup, frozen: boolean, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs
  const dir = v1ControllerDir(c, 'freezer')
  if (dir === undefined) throw new OcirtError('the freezer cgroup controller is not mounted on this host: pause and resume need it')
  const file = join(dir, 'freezer.state')
  const want = frozen ? 'FROZEN' : 'THAWED'
  for (let i = 0; ; i++) {
    // A v1 freeze can stay in FREEZING while a task is in an uninterruptible
    // sleep; writing the state again retries it.
    if (i % 100 === 0) writeFileSync(file, want)
    if (readFileSync(file, 'utf8').trim() === want) return
    if (Date.now() > deadline) {
      if (frozen) writeFileSync(file, 'THAWED')
      throw new OcirtError(`the container's cgroup did not become ${want} within ${timeoutMs / 1000} s`)
    }
    sleepSync(1)
  }
}

/** Freezing is asynchronous: cgroup.events says when it is done. */
function setFrozenV2 (c: ContainerCgroup, frozen: boolean, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs
  const dir = unifiedDir(c)
  writeFileSync(join(dir, 'cgroup.freeze'), frozen ? '1' : '0')
  const want = `frozen ${frozen ? 1 : 0}`
  while (!readFileSync(join(dir, 'cgroup.events'), 'utf8').split('\n').includes(want)) {
    if (Date.now() > deadline) throw new OcirtError(`the container's cgroup did not become ${frozen ? 'frozen' : 'thawed'} within ${timeoutMs / 1000} s`)
    sleepSync(1)
  }
}

/** Every process in the cgroup and the cgroups below it, each once. */
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

/** Whether the cgroup still exists (a deleted-by-hand cgroup makes ps and pause fail clearly). */
export function cgroupExists (c: ContainerCgroup): boolean {
  return Object.values(c.dirs).some(d => { try { return statSync(d).isDirectory() } catch { return false } })
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
  // Most cgroups have no sub-cgroups: rmdir first, and list the directory
  // only when the kernel refuses with EBUSY (children, or processes: then the
  // second rmdir refuses again and the caller waits). Listing each of the ten
  // v1 hierarchies first cost delete 70 syscalls and their JS.
  try {
    rmdirSync(dir)
    return
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeTree(join(dir, e.name))
  }
  rmdirSync(dir)
}
