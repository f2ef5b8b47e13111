/** Finding a container and its status, for the commands that act on one. */
import { containerNotFound } from '../errors.js'
import type { Status } from '../state/status.js'
import { containerStatus } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { StateStore, validateId } from '../state/store.js'

export interface Found { store: StateStore, state: StoredState, status: Status, dir: string }

export function findContainer (root: string, id: string): Found {
  validateId(id)
  const store = new StateStore(root)
  const state = store.read(id)
  // runc's words first: moby's libcontainerd reports NotFound only for an
  // error that contains "container does not exist" (docs/clients.md).
  if (state === null) throw containerNotFound(id)
  const dir = store.dir(id)
  return { store, state, status: containerStatus(state, dir), dir }
}
