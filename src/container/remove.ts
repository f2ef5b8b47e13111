/**
 * runtime.md "Delete": undo what create did. The spec allows deleting only a
 * stopped container; like runc and crun, ocirt also deletes a created one
 * (containerd's shim deletes never-started tasks this way: see
 * conformance/deviations.md), and a running one only with --force.
 *
 * This is delete without its poststop hooks (delete.ts runs them): the
 * `delete` command loads the hook code only for a config that has poststop
 * hooks, as a compiled bun pays for the code a command loads, run or not
 * (issue 11, docs/performance.md "What loading a chunk costs").
 */
import { containerNotFound, OcirtError } from '../errors.js'
import { containerStatus } from '../state/status.js'
import { StateStore, validateId } from '../state/store.js'
import type { Logger } from '../log.js'
import type { StoredState } from '../state/store.js'
import { destroyCgroup, destroyHalfMadeContainer, stopContainer } from './signal.js'
import { mark } from '../trace.js'

/** Removes the container; returns its state when it had one (for its poststop hooks), undefined when there was nothing or only a state dir. */
export function removeContainer (root: string, id: string, force: boolean, log: Logger): StoredState | undefined {
  validateId(id)
  const store = new StateStore(root)
  if (!store.exists(id)) {
    // runc: with --force a missing container is not an error.
    if (force) return undefined
    throw containerNotFound(id)
  }
  return store.withLock(id, () => {
    const state = store.read(id)
    if (state === null) {
      // A create that died before writing state.json: nothing runs.
      if (!force) throw new OcirtError(`container "${id}" is being created; use delete --force to remove what is left`)
      store.remove(id)
      return undefined
    }
    const status = containerStatus(state, store.dir(id))
    if (status === 'creating' && !force) {
      throw new OcirtError(`container "${id}" is being created; use delete --force to remove what a failed create left`)
    }
    if ((status === 'running' || status === 'paused') && !force) {
      throw new OcirtError(`cannot delete container "${id}" that is not stopped: ${status} (use --force)`)
    }
    if (status === 'running' || status === 'created' || status === 'paused') {
      if (!stopContainer(state)) throw new OcirtError(`container "${id}" did not exit after SIGKILL`)
    }
    if (status === 'creating') {
      // A create killed before it recorded its init: the init may live in the cgroup, which
      // is the only way to find it. Anything left there fails the delete and keeps the state.
      destroyHalfMadeContainer(state)
    } else {
      // A cgroup another container still uses (one that joined it) stays: say so, and delete the container anyway.
      try { destroyCgroup(state) } catch (e) { log.warn((e as Error).message) }
    }
    store.remove(id)
    mark('removed')
    return state
  })
}
