/**
 * runtime.md "Kill": send a signal to the container's process, through a
 * pidfd opened while the pid still belongs to the init (checked by its start
 * time), so a recycled pid is never signalled.
 */
import { closeSync, readdirSync, readlinkSync } from '../linux/io.js'
import { OcirtError, UsageError } from '../errors.js'
import { SIGNALS, SIGRTMAX, SIGRTMIN, signalNumber } from '../linux/signals.js'
import { loadNative } from '../native.js'
import { initIsAlive } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { cgroupExists, cgroupPids, hasFreezer, removeCgroup, setFrozen } from '../linux/cgroups/existing.js'
import type { ContainerCgroup } from '../linux/cgroups/manager.js'
import { sleepSync } from '../sleep.js'

/** "KILL", "SIGKILL", "kill", "9", "RTMIN+3" → number (runc's rules). */
export function parseSignal (text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n < 1 || n > SIGRTMAX) throw new UsageError(`invalid signal number ${text}`)
    return n
  }
  const name = text.toUpperCase().replace(/^SIG/, '')
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name)
  if (rt !== null) {
    const offset = Number(rt[1] ?? 0)
    const n = name.startsWith('RTMIN') ? SIGRTMIN + offset : SIGRTMAX - offset
    if (n < SIGRTMIN || n > SIGRTMAX) throw new UsageError(`invalid signal ${text}`)
    return n
  }
  const n = signalNumber(`SIG${name}`)
  if (n === undefined) throw new UsageError(`unknown signal "${text}"`)
  return n
}

/** Signals the init; returns false if it had already exited. */
export function signalInit (state: StoredState, signal: number): boolean {
  const native = loadNative()
  const fd = native.pidfdOpen(state.pid)
  if (fd < 0) return false
  try {
    // The pidfd pins the process: if it is still ours now, it is the one we signal.
    if (!initIsAlive(state)) return false
    native.pidfdSendSignal(fd, signal)
    return true
  } finally {
    closeFd(fd)
  }
}

function closeFd (fd: number): void {
  try { closeSync(fd) } catch { /* already closed */ }
}

/** Every other process in the init's pid namespace (when it has one of its own). */
export function processesInPidNamespace (initPid: number): number[] {
  let ns: string
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`)
    // Only a namespace of the container's own: the host's would mean every process.
    if (ns === readlinkSync('/proc/self/ns/pid')) return []
  } catch {
    return []
  }
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === initPid) continue
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ns) pids.push(pid)
    } catch { /* exited meanwhile */ }
  }
  return pids
}

/**
 * The container's processes as host pids: everything in its cgroup; for a
 * container without one (made by a build without cgroups), its init and its
 * pid namespace.
 */
export function containerPids (state: StoredState): number[] {
  const cgroup = state.cgroup
  if (cgroup !== undefined && cgroupExists(cgroup)) return cgroupPids(cgroup)
  if (!initIsAlive(state)) return []
  return [state.pid, ...processesInPidNamespace(state.pid)].sort((a, b) => a - b)
}

/**
 * Signals every process of the container. The cgroup is frozen meanwhile, as
 * runc does, so that no process forks a child that escapes the signal; it is
 * thawed afterwards (so a SIGKILL'd v1 task can die, and a paused
 * container's processes can act on the signal).
 */
function signalAll (state: StoredState, signal: number): void {
  const cgroup = state.cgroup !== undefined && cgroupExists(state.cgroup) ? state.cgroup : undefined
  const freeze = cgroup !== undefined && hasFreezer(cgroup)
  if (freeze) setFrozen(cgroup, true)
  try {
    for (const pid of containerPids(state)) {
      if (pid === state.pid) continue
      try { process.kill(pid, signal) } catch { /* exited meanwhile */ }
    }
    signalInit(state, signal)
  } finally {
    if (freeze) setFrozen(cgroup, false)
  }
}

export function killContainer (state: StoredState, signal: number, all: boolean): void {
  if (all) signalAll(state, signal)
  else if (!signalInit(state, signal)) throw new OcirtError('container not running')
}

/**
 * What delete does after the init is gone: kill what is left in the cgroup,
 * then remove the cgroup. Only a container without a pid namespace of its
 * own can outlive its init (the kernel kills a namespace with its init), and
 * only then is the cgroup swept, as runc does: a cgroup that another
 * container joined holds that container's processes too.
 */
export function destroyCgroup (state: StoredState): void {
  const cgroup = state.cgroup
  if (cgroup === undefined) return
  const ownPidNamespace = state.config.linux?.namespaces?.some(n => n.type === 'pid' && n.path === undefined) === true
  if (!ownPidNamespace && cgroupExists(cgroup)) killCgroup(state, cgroup)
  removeCgroup(cgroup)
}

/** SIGKILL to what the cgroup holds, then waits (up to 5 s) until it is empty; returns the pids still there. */
function killCgroup (state: StoredState, cgroup: ContainerCgroup): number[] {
  if (cgroupPids(cgroup).length === 0) return []
  signalAll(state, SIGNALS.SIGKILL)
  const deadline = Date.now() + 5000
  while (cgroupPids(cgroup).length > 0 && Date.now() < deadline) sleepSync(5)
  return cgroupPids(cgroup)
}

/** SIGKILL to every process of the container, then waits (up to timeoutMs) for the init to exit. */
export function stopContainer (state: StoredState, timeoutMs = 10_000): boolean {
  killContainer(state, SIGNALS.SIGKILL, true)
  return waitForExit(state, timeoutMs)
}

/** Waits until the init has exited (a zombie counts: it runs nothing). */
export function waitForExit (state: StoredState, timeoutMs: number): boolean {
  const native = loadNative()
  const fd = native.pidfdOpen(state.pid)
  if (fd < 0) return true
  try {
    if (!initIsAlive(state)) return true
    return native.pidfdWait(fd, timeoutMs)
  } finally {
    closeFd(fd)
  }
}

/**
 * What a create killed before it recorded its init leaves: state.json with
 * pid 0 and the cgroup that create made, where the init (born in it) may
 * still run. Kills what is in that cgroup and removes it, or throws: delete
 * must not report success while a process of the container remains.
 */
export function destroyHalfMadeContainer (state: StoredState): void {
  const cgroup = state.cgroup
  // A cgroup the config named and that existed before (created is empty) is not the container's to sweep.
  if (cgroup === undefined || cgroup.created.length === 0 || !cgroupExists(cgroup)) return
  const left = killCgroup(state, cgroup)
  if (left.length > 0) throw new OcirtError(`container "${state.id}": processes ${left.join(', ')} of its cgroup did not exit after SIGKILL`)
  removeCgroup(cgroup)
}
