/**
 * config-linux.md "Seccomp", listenerPath: the listener fd of a filter with
 * SCMP_ACT_NOTIFY rules goes to the seccomp agent listening there, with the
 * container process state ("The Container Process State") as JSON, one
 * connection per fd. A failure to send is an error (the spec's MUST).
 */
import { OcirtError } from '../errors.js'
import { usesSeccompAgent } from '../linux/seccomp.js'
import { loadNative } from '../native.js'
import type { Spec } from '../spec/types.js'
import { SPEC_VERSION } from '../version.js'
import type { StateJson } from './state.js'

export interface ContainerProcessState {
  ociVersion: string
  fds: string[]
  pid: number
  metadata?: string
  state: StateJson
}

/**
 * The callback that passes a listener fd of process `pid` to the agent, or
 * undefined when the config has no agent. `state` gives the container's state
 * at the moment the fd arrives.
 */
export function seccompAgent (config: Spec, state: () => StateJson): ((pid: number, fd: number) => void) | undefined {
  const seccomp = config.linux?.seccomp
  if (!usesSeccompAgent(seccomp)) return undefined
  return (pid, fd) => {
    const message: ContainerProcessState = {
      ociVersion: SPEC_VERSION,
      fds: ['seccompFd'],
      pid,
      ...(seccomp.listenerMetadata !== undefined ? { metadata: seccomp.listenerMetadata } : {}),
      state: state(),
    }
    try {
      loadNative().sendSeccompListener(seccomp.listenerPath, fd, JSON.stringify(message))
    } catch (e) {
      throw new OcirtError(`config.json /linux/seccomp/listenerPath: sending the seccomp listener to ${seccomp.listenerPath}: ${(e as Error).message}`)
    }
  }
}
