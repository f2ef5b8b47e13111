/**
 * A container's status (runtime.md "State") is read off the kernel every
 * time: the init is alive (same pid and start time, not a zombie) or not,
 * and exec.sock exists until `start` has released it.
 */
import { existsSync, readFileSync } from '../linux/io.js'
import { join } from '../linux/path.js'
import type { StoredState } from './store.js'
import { isFrozen } from '../linux/cgroups/existing.js'

/** runtime.md's four, and runc's "paused" (a state the spec lets runtimes add: its cgroup is frozen). */
export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped'

interface ProcStat { state: string, startTime: string }

/** Fields of /proc/PID/stat after the command name (which may itself contain spaces and parentheses). */
export function readProcStat (pid: number): ProcStat | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const [state, startTime] = [fields[0], fields[19]]
  // A line cut short matches no recorded start time: the init is not ours.
  if (state === undefined || startTime === undefined) return null
  return { state, startTime }
}

/** The init is still the process we created and has not exited. */
export function initIsAlive (state: StoredState): boolean {
  if (state.pid <= 0) return false
  const stat = readProcStat(state.pid)
  return stat !== null && stat.startTime === state.initStartTime && stat.state !== 'Z' && stat.state !== 'X'
}

export function containerStatus (state: StoredState, stateDir: string): Status {
  if (state.pid <= 0) return 'creating'
  if (!initIsAlive(state)) return 'stopped'
  if (existsSync(join(stateDir, 'exec.sock'))) return 'created'
  return state.cgroup !== undefined && isFrozen(state.cgroup) ? 'paused' : 'running'
}
