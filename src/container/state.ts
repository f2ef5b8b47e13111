/** runtime.md "State": the JSON that `state` prints and `list` shows. */
import type { Status } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { SPEC_VERSION } from '../version.js'

export interface StateJson {
  ociVersion: string
  id: string
  status: Status
  pid: number
  bundle: string
  rootfs: string
  created: string
  owner: string
  annotations?: Record<string, string>
}

export function stateJson (state: StoredState, status: Status): StateJson {
  return {
    // The version of the spec the state complies with (runtime.md), which is ours.
    ociVersion: SPEC_VERSION,
    id: state.id,
    status,
    // runc reports 0 once the process is gone; the spec requires pid only while created or running.
    pid: status === 'stopped' ? 0 : state.pid,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner: state.owner,
    ...(state.annotations !== undefined ? { annotations: state.annotations } : {}),
  }
}
