/**
 * `exec` (runc's, not in the spec): a new process in a running (or created)
 * container. The process is cloned by us into the container's namespaces;
 * without --detach we wait for it, forwarding signals, and exit with its
 * status.
 */
import { OcirtError } from '../errors.js'
import { buildExecPlan, joinWirePlan } from '../linux/exec-plan.js'
import { describeFailure } from '../linux/plan.js'
import type { Logger } from '../log.js'
import type { InitFailure } from '../native.js'
import { loadNative } from '../native.js'
import type { Process } from '../spec/types.js'
import { writePidFile } from './create.js'
import { findContainer } from './lookup.js'
import { seccompAgent } from './seccomp-agent.js'
import { stateJson } from './state.js'
import { managerFor } from '../linux/cgroups/index.js'

export interface ExecOptions {
  root: string
  id: string
  process: Process
  pidFile: string | undefined
  preserveFds: number
  noNewKeyring: boolean
  consoleSocket: string | undefined
  log: Logger
}

/** Starts the process; returns its pid. */
export function execProcess (opts: ExecOptions): number {
  const { state, status } = findContainer(opts.root, opts.id)
  if (status !== 'running' && status !== 'created') throw new OcirtError(`cannot exec in a ${status} container`)
  const plan = buildExecPlan(state.config, opts.process, {
    id: state.id, initPid: state.pid, rootfs: state.rootfs, preserveFds: opts.preserveFds, noNewKeyring: opts.noNewKeyring, consoleSocket: opts.consoleSocket,
  })
  for (const w of plan.warnings) opts.log.warn(w)
  // Into the container's cgroup, as runc: its limits cover exec'd processes too.
  if (state.cgroup !== undefined) Object.assign(plan.join, managerFor(state.cgroup).placement(state.cgroup))
  const wire = joinWirePlan(plan.join)
  const native = loadNative()
  let pid: number
  try {
    pid = native.spawnInit(wire, undefined, seccompAgent(state.config, () => stateJson(state, status))).pid
  } catch (e) {
    const failure = (e as { failure?: InitFailure }).failure
    if (failure === undefined) throw e
    throw new OcirtError(describeFailure({ init: wire }, failure, n => native.strerror(n)))
  }
  if (opts.pidFile !== undefined) {
    try {
      writePidFile(opts.pidFile, pid)
    } catch (e) {
      // As runc: the exec fails, and its process does not stay behind (it is our child, not yet reaped).
      try { process.kill(pid, 'SIGKILL') } catch { /* exited already */ }
      try { native.waitPid(pid, false) } catch { /* not ours to reap (forked into a pid namespace) */ }
      throw e
    }
  }
  return pid
}
