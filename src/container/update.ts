/**
 * `update` (runc's; not in the spec): new limits for a live container. The
 * given fields are written to its cgroup, then merged into the config kept in
 * state.json, so that later updates and `events` see them.
 */
import { OcirtError } from '../errors.js'
import { managerFor, updateResources } from '../linux/cgroups/index.js'
import { withoutUnsetZeros } from '../linux/cgroups/resources.js'
import type { LinuxMemory, LinuxResources } from '../spec/types.js'
import { findContainer } from './lookup.js'
import { containerCgroup } from './pause.js'
import type { Logger } from '../log.js'

type Json = Record<string, unknown>

/** Objects merge key by key; arrays and scalars replace. */
function merge (base: Json, patch: Json): Json {
  const out: Json = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    const b = out[k]
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
      ? merge(b as Json, v as Json)
      : v
  }
  return out
}

export function updateContainer (root: string, id: string, given: LinuxResources, source: string, log: Logger): void {
  // `docker update` sends 0 for every field it leaves alone: not a new value, so not merged either.
  const patch = withoutUnsetZeros(given)
  const { store, state, status } = findContainer(root, id)
  store.withLock(id, () => {
    if (status === 'stopped') throw new OcirtError(`cannot update container "${id}": it is stopped`)
    const cgroup = containerCgroup(state, 'update')
    const merged = merge((state.config.linux?.resources ?? {}) as Json, patch as Json) as LinuxResources
    const changed: LinuxResources = { ...patch }
    if (patch.memory !== undefined) {
      // v2 writes swap as memory+swap minus the limit: it needs both.
      const memory: LinuxMemory = { ...patch.memory }
      changed.memory = memory
      if (merged.memory?.limit !== undefined) memory.limit = merged.memory.limit
      if (patch.memory.swap === undefined && merged.memory?.swap !== undefined && patch.memory.limit !== undefined) {
        // An unlimited memory limit with no swap limit given lifts swap too (runc's setMemoryAndSwap), and is kept so.
        if (patch.memory.limit < 0) merged.memory.swap = -1
        memory.swap = merged.memory.swap
      }
      if (merged.memory?.checkBeforeUpdate === true && patch.memory.limit !== undefined) checkAboveUsage(() => managerFor(cgroup).memoryUsage(cgroup), patch.memory.limit, source)
    }
    for (const w of updateResources(cgroup, changed, source)) log.warn(w)
    state.config = { ...state.config, linux: { ...state.config.linux, resources: merged } }
    store.write(state)
  })
}

/** config-linux.md memory.checkBeforeUpdate: a limit below the current usage is refused, not enforced by reclaim or OOM. */
function checkAboveUsage (memoryUsage: () => number | undefined, limit: number, source: string): void {
  if (limit < 0) return
  const usage = memoryUsage()
  if (usage !== undefined && limit < usage) throw new OcirtError(`${source}: memory limit ${limit} is below the container's current usage ${usage} (memory.checkBeforeUpdate is set)`)
}
