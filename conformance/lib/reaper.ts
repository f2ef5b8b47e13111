/**
 * The test process as a child subreaper, like containerd-shim.
 *
 * `<runtime> create` exits and leaves the container process orphaned. On this
 * machine PID 1 reaps nothing, so every test process marks itself
 * PR_SET_CHILD_SUBREAPER: orphans of its descendants are re-parented to it,
 * and it reaps them here.
 *
 * We never call a blocking waitpid(-1): node's own child processes (the
 * runtime invocations, spawned through `spawnTracked`) belong to libuv, which
 * reaps them itself; reaping one of those would lose its exit event. So we
 * only ever wait for specific pids that are our children but not node's.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { ChildProcess, spawn, type SpawnOptions } from 'node:child_process'
import { loadNative, type NativeAddon } from '../../src/native.js'
import { atExit } from './exit.js'

export interface ExitInfo { status: number | null, signal: number | null }

let native: Pick<NativeAddon, 'setChildSubreaper' | 'waitPid'> | undefined
/** pids node spawned and has not yet seen exit: libuv reaps those, we must not. */
const nodeChildren = new Set<number>()
/** Exit status of every orphan we reaped, by pid. */
const reaped = new Map<number, ExitInfo>()
let timer: NodeJS.Timeout | undefined

/**
 * Every asynchronous child process node starts (spawn, execFile, exec, fork —
 * all go through ChildProcess.prototype.spawn), whoever starts it — another
 * test helper, tap — is recorded, so the reaper never takes one from libuv.
 * (spawnSync/execFileSync block the event loop until they have reaped their
 * child, so the reaper cannot race them.)
 */
function trackAllNodeChildren (): void {
  const proto = ChildProcess.prototype as unknown as { spawn: (...a: unknown[]) => unknown, __conformanceTracked?: boolean }
  if (proto.__conformanceTracked === true) return
  const original = proto.spawn
  proto.spawn = function (this: ChildProcess, ...a: unknown[]) {
    const r = original.apply(this, a)
    const pid = this.pid
    if (pid !== undefined) {
      nodeChildren.add(pid)
      this.once('exit', () => { nodeChildren.delete(pid) })
    }
    return r
  }
  proto.__conformanceTracked = true
}

/** Become a child subreaper (idempotent) and start reaping inherited orphans every 20 ms. */
export function ensureSubreaper (): void {
  if (native !== undefined) return
  trackAllNodeChildren()
  native = loadNative()
  native.setChildSubreaper()
  timer = setInterval(reapOrphans, 20)
  timer.unref()
}

/** spawn() that records the child's pid, so the reaper leaves it to node (explicitly; ensureSubreaper also tracks every spawn). */
export function spawnTracked (file: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(file, args, options)
  const pid = child.pid
  if (pid !== undefined) {
    nodeChildren.add(pid)
    child.once('exit', () => { nodeChildren.delete(pid) })
  }
  return child
}

/** pids whose parent is this process, read from /proc/self/task/<tid>/children. */
export function childPids (): number[] {
  const pids = new Set<number>()
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      let text = ''
      try { text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8') } catch { continue }
      for (const p of text.split(' ')) if (p.trim() !== '') pids.add(Number(p))
    }
  } catch {}
  return [...pids]
}

/** Our children that node did not spawn: orphans inherited as subreaper (running or zombie). */
export function inheritedChildren (): number[] {
  return childPids().filter(p => !nodeChildren.has(p) && p !== process.pid)
}

function waitOne (pid: number): ExitInfo | null | 'gone' {
  if (native === undefined || nodeChildren.has(pid)) return null
  try {
    return native.waitPid(pid, true)
  } catch {
    return 'gone' // ECHILD: not (or no longer) our child
  }
}

/** Reap every inherited orphan that has exited. Returns the pids reaped. */
export function reapOrphans (): number[] {
  const done: number[] = []
  for (const pid of inheritedChildren()) {
    const r = waitOne(pid)
    if (r !== null && r !== 'gone') {
      reaped.set(pid, r)
      done.push(pid)
    }
  }
  return done
}

/** Exit status of an inherited orphan we reaped, if we did. */
export function exitStatusOf (pid: number): ExitInfo | undefined {
  reapOrphans()
  return reaped.get(pid)
}

/** True if `pid` is a child of this process (so signalling it cannot hit a stranger). */
export function isOurChild (pid: number): boolean {
  return pid > 0 && childPids().includes(pid)
}

/** True if pid exists and is not a zombie. */
export function isAlive (pid: number): boolean {
  if (pid <= 0) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/**
 * SIGKILL an inherited orphan and reap it, bounded by timeoutMs. Only acts on
 * pids that are our children and not node's. Returns true once it is gone.
 */
export async function killAndReap (pid: number, timeoutMs = 3000): Promise<boolean> {
  if (nodeChildren.has(pid)) return false
  if (isOurChild(pid)) {
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const r = waitOne(pid)
    if (r !== null) {
      if (r !== 'gone') reaped.set(pid, r)
      return true
    }
    await sleep(10)
  }
  return !isAlive(pid)
}

/** Wait until an inherited orphan has exited and been reaped; its exit status, or undefined on timeout. */
export async function waitReaped (pid: number, timeoutMs = 5000): Promise<ExitInfo | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const s = exitStatusOf(pid)
    if (s !== undefined) return s
    await sleep(10)
  }
  return undefined
}

atExit('processes', () => {
  // Last resort for anything a test left behind: kill and reap every orphan
  // we inherited. These are all our descendants (only descendants are
  // re-parented to a subreaper). waitPid on a specific pid is fine here.
  if (timer !== undefined) clearInterval(timer)
  if (native === undefined) return
  for (const pid of inheritedChildren()) {
    try { process.kill(pid, 'SIGKILL') } catch {}
    for (let i = 0; i < 200; i++) {
      const r = waitOne(pid)
      if (r !== null) break
      const until = Date.now() + 5
      while (Date.now() < until) { /* spin: no async at exit */ }
    }
  }
})
