/**
 * pause / resume: the v1 freezer controller (freezer.state) or v2's
 * cgroup.freeze. Freezing is asynchronous in the kernel: wait until the
 * cgroup reports frozen, so that `pause` returning means nothing runs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OcirtError } from '../../errors.js'
import { sleepSync } from '../../sleep.js'
import type { ContainerCgroup } from './manager.js'
import { dirFor } from './manager.js'

function freezerDir (c: ContainerCgroup): string {
  const dir = dirFor(c, 'freezer')
  if (dir === undefined) throw new OcirtError('the freezer cgroup controller is not mounted on this host: pause and resume need it')
  return dir
}

export function hasFreezer (c: ContainerCgroup): boolean {
  return c.version === 2 || dirFor(c, 'freezer') !== undefined
}

/** Whether the container's cgroup is frozen (or freezing): `state` reports it as paused. */
export function isFrozen (c: ContainerCgroup): boolean {
  try {
    if (c.version === 2) return readFileSync(join(c.dirs[''], 'cgroup.freeze'), 'utf8').trim() === '1'
    const dir = dirFor(c, 'freezer')
    return dir !== undefined && readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED'
  } catch {
    return false
  }
}

export function setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs
  if (c.version === 2) {
    const dir = c.dirs['']
    writeFileSync(join(dir, 'cgroup.freeze'), frozen ? '1' : '0')
    const want = `frozen ${frozen ? 1 : 0}`
    while (!readFileSync(join(dir, 'cgroup.events'), 'utf8').split('\n').includes(want)) {
      if (Date.now() > deadline) throw new OcirtError(`the container's cgroup did not become ${frozen ? 'frozen' : 'thawed'} within ${timeoutMs / 1000} s`)
      sleepSync(1)
    }
    return
  }
  const file = join(freezerDir(c), 'freezer.state')
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
