/**
 * runtime.md "Kill": send a signal to the container's process, through a
 * pidfd opened while the pid still belongs to the init (checked by its start
 * time), so a recycled pid is never signalled.
 */
import { closeSync, readdirSync, readlinkSync } from 'node:fs'
import { OcirtError, UsageError } from '../errors.js'
import { SIGNALS, SIGRTMAX, SIGRTMIN } from '../linux/constants.js'
import { loadNative } from '../native.js'
import { initIsAlive } from '../state/status.js'
import type { StoredState } from '../state/store.js'

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
  const n = SIGNALS[`SIG${name}`]
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

export function killContainer (state: StoredState, signal: number, all: boolean): void {
  if (all) {
    for (const pid of processesInPidNamespace(state.pid)) {
      try { process.kill(pid, signal) } catch { /* exited meanwhile */ }
    }
  }
  if (!signalInit(state, signal) && !all) throw new OcirtError('container not running')
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
