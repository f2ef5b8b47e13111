/**
 * pause / resume (runc's; not in the spec): freeze and thaw every process of
 * the container through its cgroup. While frozen, `state` says "paused".
 */
import { OcirtError } from '../errors.js'
import { findContainer } from './lookup.js'
import type { StoredState } from '../state/store.js'
import type { ContainerCgroup } from '../linux/cgroups/manager.js'
import { managerFor } from '../linux/cgroups/index.js'

export function containerCgroup (state: StoredState, action: string): ContainerCgroup {
  if (state.cgroup === undefined) throw new OcirtError(`cannot ${action} container "${state.id}": it has no cgroup of its own`)
  return state.cgroup
}

export function pauseContainer (root: string, id: string): void {
  const { store, state, status } = findContainer(root, id)
  store.withLock(id, () => {
    if (status !== 'running' && status !== 'created') throw new OcirtError(`cannot pause container "${id}": it is ${status}`)
    const cgroup = containerCgroup(state, 'pause')
    managerFor(cgroup).setFrozen(cgroup, true)
  })
}

export function resumeContainer (root: string, id: string): void {
  const { store, state, status } = findContainer(root, id)
  store.withLock(id, () => {
    if (status !== 'paused') throw new OcirtError(`cannot resume container "${id}": it is ${status}, not paused`)
    const cgroup = containerCgroup(state, 'resume')
    managerFor(cgroup).setFrozen(cgroup, false)
  })
}
