// bench/worker.mjs: the process that runs and times the runtimes' commands.
//
// run.mjs starts two identical workers: one in the host mount namespace (ocirt,
// runc) and, where crun needs it, one in a private mount namespace without the
// cgroup2 mount at /sys/fs/cgroup/unified (crun). Each worker is a child
// subreaper, so the inits that `create` leaves behind are re-parented to it and
// reaped by it; it times each command with process.hrtime.bigint() around
// child_process.spawnSync and answers one JSON line per request on stdout.
//
// The worker never times anything of its own: the numbers are the wall time of
// the runtime process (plus fork/exec/wait of spawnSync, the same for all three
// runtimes; run.mjs measures it as "harness floor").
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

delete process.env.NODE_EXTRA_CA_CERTS

/** @typedef {import('./trace-lib.mjs').Addon & { pidfdSendSignal(fd: number, sig: number): void }} Addon */
/** @typedef {{ bin: string, globals: string[], root: string }} RuntimeRef a runtime's binary, its global flags and its --root */
/** @typedef {{ argv: string[], status: number | null, stderr: string }} ParallelFailure */

const addonPath = process.argv[2]
if (addonPath === undefined) {
  console.error('bench worker: usage: worker.mjs ADDON (run.mjs starts it)')
  process.exit(2)
}
const addon = { exports: {} }
process.dlopen(addon, addonPath)
// The loop below checks that the functions are there.
const native = /** @type {Addon} */ (addon.exports)
for (const fn of /** @type {const} */ (['setChildSubreaper', 'waitPid', 'pidfdOpen', 'pidfdWait'])) {
  if (typeof native[fn] !== 'function') {
    console.error(`bench worker: ${addonPath} has no ${fn}(): bench/worker.mjs needs updating to the addon's API`)
    process.exit(1)
  }
}
native.setChildSubreaper()

// Into the benchmark's own cgroup (run.mjs made it), so that the containers'
// default cgroups (below their caller's) land under it in every hierarchy.
const benchCgroup = process.env.OCIRT_BENCH_CGROUP
if (benchCgroup !== undefined) {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!/ - cgroup2? /.test(line)) continue
    const mount = line.split(' ')[4] ?? ''
    if (mount.startsWith('/sys/fs/cgroup')) writeFileSync(join(mount, benchCgroup, 'cgroup.procs'), String(process.pid))
  }
}

/** USER_HZ: the unit of cutime/cstime in /proc/self/stat. */
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/**
 * CPU time (user + sys, ms) of this worker's waited-for children and their
 * waited-for descendants: /proc/self/stat cutime + cstime. The ticks are
 * coarse (10 ms), but the kernel accumulates exact time, so the difference of
 * two readings errs by less than a tick either way, without bias: averaged
 * over many operations it converges.
 */
function childCpuMs () {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[13]) + Number(fields[14])) * 1000 / clockTicks
}

const scratch = mkdtempSync(join(tmpdir(), 'ocirt-bench-worker-'))
const outPath = join(scratch, 'stdout')
const errPath = join(scratch, 'stderr')
/**
 * Runtimes this worker has used, by root, cleaned up on exit whatever happens.
 * @type {Map<string, RuntimeRef>}
 */
const registered = new Map()

/**
 * @param {string} path
 * @returns {string} its text, or '' if it cannot be read
 */
function readText (path) {
  try { return readFileSync(path, 'utf8') } catch { return '' }
}

/**
 * A fresh file for each call: a created init keeps the previous one open (it inherits stdio).
 * @param {string} path
 * @returns {number}
 */
function freshFd (path) {
  rmSync(path, { force: true })
  return openSync(path, 'w')
}

/**
 * Times one command. stdout and stderr go to files, never pipes: a created
 * container's init inherits them and would keep a pipe open after the runtime exits.
 */
/** Wall-clock time since the epoch in ns, as ocirt's OCIRT_TRACE_TIMING marks (src/trace.ts). */
function epochNs () {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))
}

/**
 * @param {string[]} argv
 * @returns {[string, string[]]} the command and its arguments
 */
function commandOf (argv) {
  const [command, ...args] = argv
  if (command === undefined) throw new Error('bench worker: an empty command')
  return [command, args]
}

/**
 * @param {string[]} argv
 * @param {Record<string, string>} [env] added to this process's environment
 */
function timeCmd (argv, env) {
  const [command, args] = commandOf(argv)
  const out = freshFd(outPath)
  const err = freshFd(errPath)
  /** @type {import('node:child_process').SpawnSyncOptions} */
  const options = { stdio: ['ignore', out, err], env: env === undefined ? process.env : { ...process.env, ...env } }
  /** @type {bigint} */
  let t0
  /** @type {bigint} */
  let t1
  /** @type {bigint} */
  let e0
  /** @type {bigint} */
  let e1
  /** @type {import('node:child_process').SpawnSyncReturns<string | Buffer>} */
  let r
  try {
    e0 = epochNs()
    t0 = process.hrtime.bigint()
    r = spawnSync(command, args, options)
    t1 = process.hrtime.bigint()
    e1 = epochNs()
  } finally {
    closeSync(out)
    closeSync(err)
  }
  return {
    ms: Number(t1 - t0) / 1e6,
    status: r.status,
    signal: r.signal,
    error: r.error ? String(r.error) : undefined,
    stdout: readText(outPath),
    stderr: readText(errPath).slice(0, 8000),
    // Wall-clock ns, the clock of ocirt's OCIRT_TRACE_TIMING marks: lets run.mjs place the child's own timestamps.
    t0: String(e0),
    t1: String(e1),
  }
}

/** Reaps every exited child (orphaned inits). Only called when no spawn of ours is in flight. */
function reap () {
  let n = 0
  for (;;) {
    let r
    try { r = native.waitPid(-1, true) } catch { break } // ECHILD: no children at all
    if (r === null) break
    n++
  }
  return n
}

/** @param {number} ms */
function sleepMs (ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Waits for pid to exit (pidfd), then reaps it if it is our child. Returns false on timeout.
 * @param {number} pid
 * @param {number} timeoutMs
 * @returns {boolean}
 */
function waitExit (pid, timeoutMs) {
  const fd = native.pidfdOpen(pid)
  if (fd >= 0) {
    let done = false
    try { done = native.pidfdWait(fd, timeoutMs) } finally { closeSync(fd) }
    if (!done) return false
  } else {
    // Already gone (ESRCH) or no pidfd: fall back to polling /proc.
    const end = Date.now() + timeoutMs
    while (existsSync(`/proc/${pid}`) && !/\) Z /.test(readText(`/proc/${pid}/stat`))) {
      if (Date.now() > end) return false
      sleepMs(1)
    }
  }
  try { native.waitPid(pid, true) } catch { /* not our child, or already reaped */ }
  return true
}

/** @typedef {{ ppid: number, comm: string, state: string | undefined }} ProcInfo */

/**
 * The processes below this worker: pid → { ppid, comm }.
 * @returns {Map<number, ProcInfo>}
 */
function descendants () {
  /** @type {Map<number, ProcInfo>} */
  const parent = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readText(`/proc/${name}/stat`)
    const close = stat.lastIndexOf(')')
    if (close < 0) continue
    const comm = stat.slice(stat.indexOf('(') + 1, close)
    const fields = stat.slice(close + 2).split(' ')
    parent.set(Number(name), { ppid: Number(fields[1]), comm, state: fields[0] })
  }
  /** @type {Map<number, ProcInfo>} */
  const found = new Map()
  const queue = [process.pid]
  while (queue.length > 0) {
    const p = queue.shift()
    for (const [pid, info] of parent) {
      if (info.ppid === p && !found.has(pid)) {
        found.set(pid, info)
        queue.push(pid)
      }
    }
  }
  return found
}

/**
 * @param {string} text a /proc status or smaps_rollup file
 * @param {string} key
 * @returns {number | null} the key's value in kB
 */
function kb (text, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
  return m ? Number(m[1]) : null
}

/**
 * Resident memory of one process: VmRSS, and from smaps_rollup PSS and USS (private clean + dirty).
 * @param {number} pid
 */
function memoryOf (pid) {
  const status = readText(`/proc/${pid}/status`)
  const rollup = readText(`/proc/${pid}/smaps_rollup`)
  const pc = kb(rollup, 'Private_Clean')
  const pd = kb(rollup, 'Private_Dirty')
  return { rssKb: kb(status, 'VmRSS'), pssKb: kb(rollup, 'Pss'), ussKb: pc === null || pd === null ? null : pc + pd }
}

/**
 * Creates one container and measures the processes it leaves behind.
 * @param {{ argv: string[], pidFile: string }} args
 */
function createMemory ({ argv, pidFile }) {
  const before = descendants()
  const r = timeCmd(argv)
  if (r.status !== 0) return { ok: false, error: r.stderr || r.error }
  const procs = []
  for (const [pid, info] of descendants()) {
    if (before.has(pid)) continue
    procs.push({ pid, comm: info.comm, ...memoryOf(pid) })
  }
  return { ok: true, pid: Number(readText(pidFile).trim()), procs }
}

/**
 * Peak RSS of the runtime process (and the children it waited for), from wait4 via /usr/bin/time.
 * @param {{ argv: string[] }} args
 */
function maxRss ({ argv }) {
  const file = join(scratch, 'time')
  rmSync(file, { force: true })
  const r = timeCmd(['/usr/bin/time', '-f', '%M', '-o', file, ...argv])
  const kbv = Number(readText(file).trim().split('\n').pop())
  return { ok: r.status === 0 && Number.isFinite(kbv), kb: kbv, status: r.status, stderr: r.stderr }
}

/** @typedef {{ bin: string, globals: string[], bundle: string, id: string, pidFile: string }} ContainerArgs one container's runtime, bundle, id and --pid-file */

/**
 * containerd's split lifecycle: create, start, wait for the exit, delete.
 * @param {ContainerArgs} args
 */
function lifecycle ({ bin, globals, bundle, id, pidFile }) {
  /** @type {{ ok: boolean, create?: number, start?: number, wait?: number, delete?: number, total?: number }} */
  const res = { ok: false }
  rmSync(pidFile, { force: true })
  const create = timeCmd([bin, ...globals, 'create', '--bundle', bundle, '--pid-file', pidFile, id])
  res.create = create.ms
  if (create.status !== 0) return { ...res, error: `create: ${create.stderr || create.error}` }
  const pid = Number(readText(pidFile).trim())
  const start = timeCmd([bin, ...globals, 'start', id])
  res.start = start.ms
  if (start.status !== 0) {
    timeCmd([bin, ...globals, 'delete', '--force', id])
    reap()
    return { ...res, error: `start: ${start.stderr || start.error}` }
  }
  const t0 = process.hrtime.bigint()
  const exited = waitExit(pid, 30_000)
  res.wait = Number(process.hrtime.bigint() - t0) / 1e6
  if (!exited) {
    timeCmd([bin, ...globals, 'delete', '--force', id])
    reap()
    return { ...res, error: 'the container did not exit within 30 s' }
  }
  const del = timeCmd([bin, ...globals, 'delete', id])
  res.delete = del.ms
  if (del.status !== 0) return { ...res, error: `delete: ${del.stderr || del.error}` }
  res.total = create.ms + start.ms + res.wait + del.ms
  res.ok = true
  return res
}

/**
 * `kill ID KILL` of a started (running) container, timed like `start`:
 * create and start it, time the kill, then wait for the exit and delete it.
 * killCpuMs is the CPU of the kill process alone: the killed init is reaped
 * only after it is read, so its CPU is not in it.
 * @param {ContainerArgs} args
 */
function killRunning ({ bin, globals, bundle, id, pidFile }) {
  rmSync(pidFile, { force: true })
  const create = timeCmd([bin, ...globals, 'create', '--bundle', bundle, '--pid-file', pidFile, id])
  if (create.status !== 0) return { ok: false, error: `create: ${create.stderr || create.error}` }
  const pid = Number(readText(pidFile).trim())
  const start = timeCmd([bin, ...globals, 'start', id])
  if (start.status !== 0) {
    timeCmd([bin, ...globals, 'delete', '--force', id])
    return { ok: false, error: `start: ${start.stderr || start.error}` }
  }
  const cpu0 = childCpuMs()
  const kill = timeCmd([bin, ...globals, 'kill', id, 'KILL'])
  const killCpuMs = childCpuMs() - cpu0
  if (kill.status !== 0) {
    timeCmd([bin, ...globals, 'delete', '--force', id])
    return { ok: false, error: `kill: ${kill.stderr || kill.error}` }
  }
  if (!waitExit(pid, 30_000)) {
    timeCmd([bin, ...globals, 'delete', '--force', id])
    return { ok: false, error: 'the container did not exit within 30 s of kill KILL' }
  }
  const del = timeCmd([bin, ...globals, 'delete', id])
  if (del.status !== 0) return { ok: false, error: `delete: ${del.stderr || del.error}` }
  return { ok: true, kill: kill.ms, killCpuMs }
}

/**
 * Runs cmds with at most `concurrency` at a time; returns the wall time of the whole batch.
 * @param {{ cmds: string[][], concurrency: number }} args
 * @returns {Promise<{ ms: number, failures: ParallelFailure[] }>}
 */
function parallel ({ cmds, concurrency }) {
  return new Promise(resolve => {
    /** @type {ParallelFailure[]} */
    const failures = []
    let next = 0
    let running = 0
    const t0 = process.hrtime.bigint()
    const launch = () => {
      while (running < concurrency && next < cmds.length) {
        // next < cmds.length: the loop's condition.
        const argv = /** @type {string[]} */ (cmds[next++])
        const [command, args] = commandOf(argv)
        const errFile = join(scratch, `perr-${next}`)
        const errFd = freshFd(errFile)
        running++
        const child = spawn(command, args, { stdio: ['ignore', 'ignore', errFd] })
        closeSync(errFd)
        /**
         * @param {number | null} status
         * @param {string} [error]
         */
        const done = (status, error) => {
          running--
          if (status !== 0) failures.push({ argv, status, stderr: (error ?? readText(errFile)).slice(0, 500) })
          rmSync(errFile, { force: true })
          if (running === 0 && next >= cmds.length) {
            resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, failures })
          } else {
            launch()
          }
        }
        // 'exit', not 'close': an init that inherited stderr may keep it open.
        child.once('exit', code => done(code))
        child.once('error', e => done(-1, String(e)))
      }
      if (cmds.length === 0) resolve({ ms: 0, failures })
    }
    launch()
  })
}

/**
 * Ids of the containers under a runtime's root (one directory each, for all three runtimes).
 * @param {string} root
 * @returns {string[]}
 */
function idsIn (root) {
  try {
    return readdirSync(root, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name)
  } catch {
    return []
  }
}

/**
 * Deletes every container of a runtime, reaps, kills what we started and is still there, removes the root.
 * @param {RuntimeRef} rt
 */
async function cleanup ({ bin, globals, root }) {
  const ids = idsIn(root)
  const res = await parallel({ cmds: ids.map(id => [bin, ...globals, 'delete', '--force', id]), concurrency: 16 })
  reap()
  const left = idsIn(root)
  rmSync(root, { recursive: true, force: true })
  return { deleted: ids.length - left.length, left, failures: res.failures.slice(0, 3) }
}

/** Last resort: SIGKILL by pid whatever is still below this worker (all of it started by this benchmark). */
function killLeftovers () {
  const left = descendants()
  for (const pid of left.keys()) {
    try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  }
  const end = Date.now() + 5000
  while (descendants().size > 0 && Date.now() < end) {
    reap()
    sleepMs(5)
  }
  reap()
  return [...left].map(([pid, i]) => `${pid} ${i.comm}`)
}

async function cleanupAll () {
  /** @type {Record<string, unknown>} */
  const out = {}
  for (const [key, rt] of registered) out[key] = await cleanup(rt)
  out.killed = killLeftovers()
  return out
}

/**
 * The requests run.mjs sends. Each op's args are the ones run.mjs sends for
 * it (the two files are one program in two processes), so they are typed
 * here and not checked again.
 * @type {Record<string, (args: any) => unknown>}
 */
const ops = {
  hello: () => ({ pid: process.pid, scratch }),
  /** @param {RuntimeRef} rt */
  register: ({ bin, globals, root }) => { registered.set(root, { bin, globals, root }); return {} },
  /** @param {{ argv: string[], env?: Record<string, string> }} args */
  time: ({ argv, env }) => timeCmd(argv, env),
  lifecycle,
  killRunning,
  parallel,
  maxRss,
  createMemory,
  /** @param {{ pid: number, timeoutMs?: number }} args */
  waitExit: ({ pid, timeoutMs }) => ({ exited: waitExit(pid, timeoutMs ?? 10_000) }),
  reap: () => ({ reaped: reap() }),
  descendants: () => ({ procs: [...descendants()].map(([pid, i]) => ({ pid, ...i })) }),
  /** Private memory (USS) of everything below this worker, e.g. the created inits. */
  residentKb: () => {
    let ussKb = 0
    const procs = descendants()
    for (const pid of procs.keys()) ussKb += memoryOf(pid).ussKb ?? 0
    return { count: procs.size, ussKb }
  },
  cleanup,
  cleanupAll,
}

let exiting = false
async function shutdown () {
  if (exiting) return
  exiting = true
  try { await cleanupAll() } catch { /* best effort */ }
  rmSync(scratch, { recursive: true, force: true })
  process.exit(0)
}

// One request at a time, in order: run.mjs never sends the next before the answer.
const rl = createInterface({ input: process.stdin })
let chain = Promise.resolve()
rl.on('line', line => {
  chain = chain.then(async () => {
    // run.mjs's own request line.
    const req = /** @type {{ id: number, op: string, args?: object }} */ (JSON.parse(line))
    if (req.op === 'exit') return shutdown()
    let reply
    try {
      const op = ops[req.op]
      if (op === undefined) throw new Error(`bench worker: no op ${req.op}`)
      // The CPU of an operation includes the inits it leaves that exit and are reaped during it.
      const cpu0 = childCpuMs()
      const result = await op(req.args ?? {})
      reap()
      if (typeof result === 'object' && result !== null) /** @type {Record<string, unknown>} */ (result).cpuMs = childCpuMs() - cpu0
      reply = { id: req.id, ok: true, result }
    } catch (e) {
      reply = { id: req.id, ok: false, error: String((e instanceof Error ? e.stack : undefined) ?? e) }
    }
    process.stdout.write(JSON.stringify(reply) + '\n')
  })
})
rl.on('close', () => { chain = chain.then(shutdown) })
for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(sig, () => { chain = chain.then(shutdown) })
