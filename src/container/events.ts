/**
 * `events` (runc's; not in the spec): the container's resource usage, once
 * (--stats) or every --interval, and an "oom" event each time the kernel's
 * OOM killer kills one of its processes. The stream ends when the container
 * stops. OOM kills are noticed by polling the cgroup's kill counter, which
 * works the same on v1 and v2 and needs no eventfd or inotify.
 */
import { OcirtError } from '../errors.js'
import { managerFor } from '../linux/cgroups/index.js'
import { print } from '../output.js'
import { containerStatus } from '../state/status.js'
import { findContainer } from './lookup.js'
import { containerCgroup } from './pause.js'

const OOM_POLL_MS = 100

export function printStats (root: string, id: string): void {
  const { state, status } = findContainer(root, id)
  if (status === 'stopped') throw new OcirtError(`container "${id}" is stopped`)
  const cgroup = containerCgroup(state, 'read the stats of')
  print(JSON.stringify({ type: 'stats', id, data: managerFor(cgroup).stats(cgroup) }))
}

export async function streamEvents (root: string, id: string, intervalMs: number): Promise<void> {
  const { state, status, dir } = findContainer(root, id)
  if (status === 'stopped') throw new OcirtError(`container "${id}" is stopped`)
  const cgroup = containerCgroup(state, 'watch')
  const manager = managerFor(cgroup)
  let ooms = manager.oomKillCount(cgroup)
  let nextStats = Date.now()
  while (containerStatus(state, dir) !== 'stopped') {
    const now = Date.now()
    const count = manager.oomKillCount(cgroup)
    for (; ooms < count; ooms++) print(JSON.stringify({ type: 'oom', id }))
    if (now >= nextStats) {
      print(JSON.stringify({ type: 'stats', id, data: manager.stats(cgroup) }))
      nextStats = now + intervalMs
    }
    await new Promise(resolve => setTimeout(resolve, OOM_POLL_MS))
  }
  // A kill that came with the exit.
  const count = manager.oomKillCount(cgroup)
  for (; ooms < count; ooms++) print(JSON.stringify({ type: 'oom', id }))
}
