#!/usr/bin/env node
// npm run bench [-- --quick] : ocirt beside runc and crun, in one run, interleaved.
//
// Every benchmark runs the three runtimes round-robin within each iteration
// (the order rotates from one iteration to the next), over the same busybox
// bundle, each runtime with its own temporary --root. Commands are timed by
// bench/worker.mjs (a child subreaper that reaps the inits `create` leaves
// behind); this file only orchestrates and prints. See docs/performance.md.
//
// Flags:
//   --quick           few iterations, no 1,000-container size: the CI mode (17 to 33 s here)
//   --iterations N    override the iteration count of every timed section
//   --sizes 1,100     container counts for state/list (default 1,100,1000; quick 1,100)
//   --only a,b        sections: run,lifecycle,statelist,batch,exec,memory,size,startup
//   --out FILE        where to write the Markdown report (default bench/results/latest.md)
// Exit status: 0 unless the harness breaks or an ocirt command fails. Timing never fails it.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, availableParallelism, loadavg, release, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { append } from './trace-lib.mjs'

/**
 * What bench/worker.mjs answers to each op (its JSON reply), with the CPU
 * time the worker adds to every object it returns.
 * @typedef {{ ms: number, status: number | null, signal: string | null, error?: string, stdout: string, stderr: string, t0: string, t1: string, cpuMs: number }} TimeResult
 * @typedef {{ argv: string[], status: number | null, stderr: string }} ParallelFailure
 * @typedef {{ pid: number, comm: string, rssKb: number | null, pssKb: number | null, ussKb: number | null }} ProcMemory
 * @typedef {{
 *   time: TimeResult,
 *   register: {},
 *   lifecycle: ({ ok: true, create: number, start: number, wait: number, delete: number, total: number } | { ok: false, error: string }) & { cpuMs: number },
 *   killRunning: ({ ok: true, kill: number, killCpuMs: number } | { ok: false, error: string }) & { cpuMs: number },
 *   parallel: { ms: number, failures: ParallelFailure[], cpuMs: number },
 *   maxRss: { ok: boolean, kb: number, status: number | null, stderr: string, cpuMs: number },
 *   createMemory: { ok: true, pid: number, procs: ProcMemory[] } | { ok: false, error: string },
 *   waitExit: { exited: boolean },
 *   reap: { reaped: number },
 *   residentKb: { count: number, ussKb: number },
 *   cleanupAll: Record<string, unknown>,
 * }} WorkerResults
 */
/** @typedef {{ name: string, bin: string, worker: Worker, root: string, globals: string[] }} Runtime */
/** @typedef {{ n: number, median: number, p90: number, min: number, max: number }} Stats */

delete process.env.NODE_EXTRA_CA_CERTS
const benchStart = process.hrtime.bigint()

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..')
const dist = join(repo, 'dist')

// ---------------------------------------------------------------- options

/**
 * @param {string[]} argv
 * @returns {{ quick: boolean, iterations?: number, sizes?: number[], only?: string[], out?: string }}
 */
function parseFlags (argv) {
  /** @type {ReturnType<typeof parseFlags>} */
  const flags = { quick: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1)
      const next = argv[++i]
      if (next === undefined) throw new Error(`${a} needs a value`)
      return next
    }
    const name = a.replace(/=.*/, '')
    if (name === '--quick') flags.quick = true
    else if (name === '--iterations') flags.iterations = Number(value())
    else if (name === '--sizes') flags.sizes = value().split(',').map(Number)
    else if (name === '--only') flags.only = value().split(',')
    else if (name === '--out') flags.out = value()
    else if (name === '-h' || name === '--help') {
      const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1)
      console.log(lines.slice(0, lines.findIndex(l => !l.startsWith('//'))).map(l => l.replace(/^\/\/ ?/, '')).join('\n'))
      process.exit(0)
    } else {
      console.error(`bench: unknown flag ${a} (see --help)`)
      process.exit(2)
    }
  }
  return flags
}

const flags = parseFlags(process.argv.slice(2))
const FULL = { run: 30, lifecycle: 30, stateList: 20, sizes: [1, 100, 1000], batches: 3, exec: 30, memory: 5, startup: 20, warmup: 3 }
const QUICK = { run: 5, lifecycle: 5, stateList: 5, sizes: [1, 100], batches: 1, exec: 5, memory: 2, startup: 5, warmup: 1 }
const plan = { ...(flags.quick ? QUICK : FULL) }
if (flags.iterations !== undefined) {
  for (const k of /** @type {const} */ (['run', 'lifecycle', 'stateList', 'exec', 'memory', 'startup'])) plan[k] = flags.iterations
  plan.batches = Math.max(1, Math.round(flags.iterations / 10))
}
if (flags.sizes !== undefined) plan.sizes = flags.sizes
const BATCH = 100
const BATCH_CONCURRENCY = 4
const SECTIONS = ['run', 'lifecycle', 'memory', 'statelist', 'batch', 'exec', 'size', 'startup']
const wanted = new Set(flags.only ?? SECTIONS)
const outFile = resolve(flags.out ?? join(here, 'results', 'latest.md'))

// ---------------------------------------------------------------- helpers

/** @param {string} msg */
function log (msg) {
  const s = Number(process.hrtime.bigint() - benchStart) / 1e9
  process.stderr.write(`[bench ${s.toFixed(1).padStart(6)}s] ${msg}\n`)
}

/**
 * @param {string} name
 * @returns {string | null}
 */
function which (name) {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (d !== '' && existsSync(join(d, name))) return join(d, name)
  }
  return null
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptionsWithStringEncoding | {}} [opts]
 */
function sh (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  return { status: r.status, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() }
}

/**
 * @param {number[]} sorted
 * @param {number} q
 * @returns {number}
 */
function quantile (sorted, q) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN
}

/**
 * @param {number[]} samples
 * @returns {Stats} NaN where samples is empty
 */
function stats (samples) {
  const s = [...samples].sort((a, b) => a - b)
  /** @param {number} i */
  const at = i => s[i] ?? NaN
  return { n: s.length, median: s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2, p90: quantile(s, 0.9), min: at(0), max: at(s.length - 1) }
}

/** @param {number | undefined} v */
function fmtMs (v) {
  if (v === undefined || Number.isNaN(v)) return '–'
  const a = Math.abs(v)
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)
}
/** @param {number | null | undefined} kb */
const fmtMB = kb => (kb === undefined || kb === null || Number.isNaN(kb)) ? '–' : (kb / 1024).toFixed(1)
/** @param {number} b */
const fmtBytes = b => (b / 1048576).toFixed(1)
/**
 * @param {number | undefined} a
 * @param {number | undefined} b
 */
const ratio = (a, b) => (a === undefined || b === undefined || !(b > 0) || Number.isNaN(a)) ? '–' : `${(a / b).toFixed(2)}`

/**
 * @template T
 * @param {T[]} list
 * @param {number} i
 * @returns {T[]}
 */
function rotate (list, i) {
  const k = ((i % list.length) + list.length) % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/**
 * @param {string[]} header
 * @param {string[][]} rows
 * @returns {string}
 */
function table (header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => i === 0 ? ':---' : '---:').join('|')}|`]
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`)
  return lines.join('\n')
}

// ---------------------------------------------------------------- cgroups

/**
 * The runtimes put a container without linux.cgroupsPath in a cgroup below
 * their caller's (runc's rule, and ocirt's). On this host the caller's memory
 * cgroup belongs to the machine's supervisor, so the workers run in a cgroup
 * of the benchmark's own, made here in every hierarchy and removed at the end.
 */
const benchCgroup = `/ocirt-bench-${process.pid}`
function cgroupMountPoints () {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter(l => / - cgroup2? /.test(l))
    .map(l => l.split(' ')[4] ?? '')
    .filter(p => p.startsWith('/sys/fs/cgroup'))
}
function makeBenchCgroup () {
  for (const mount of cgroupMountPoints()) {
    const dir = join(mount, benchCgroup)
    mkdirSync(dir, { recursive: true })
    // A v1 cpuset cgroup takes no task until it has CPUs and memory nodes.
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, f)) && readFileSync(join(dir, f), 'utf8').trim() === '') writeFileSync(join(dir, f), readFileSync(join(mount, f), 'utf8').trim())
    }
  }
  process.env.OCIRT_BENCH_CGROUP = benchCgroup
}
function removeBenchCgroup () {
  for (const mount of cgroupMountPoints()) {
    try { rmdirSync(join(mount, benchCgroup)) } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code
      if (code !== 'ENOENT') log(`could not remove the benchmark's cgroup ${join(mount, benchCgroup)}: ${code}`)
    }
  }
}
makeBenchCgroup()

// ---------------------------------------------------------------- workers

/**
 * @param {unknown} e
 * @returns {string}
 */
function messageOf (e) {
  return e instanceof Error ? e.message : String(e)
}

class Worker {
  /**
   * @param {string} name
   * @param {string[]} argv
   */
  constructor (name, argv) {
    const [command, ...args] = argv
    if (command === undefined) throw new Error(`worker ${name}: no command`)
    this.name = name
    /** @type {Map<number, { resolve: (result: any) => void, reject: (e: Error) => void }>} */
    this.pending = new Map()
    this.nextId = 1
    this.dead = false
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: process.env })
    /** @type {Promise<void>} */
    this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => {
      this.dead = true
      for (const p of this.pending.values()) p.reject(new Error(`worker ${name} exited (${code ?? signal})`))
      this.pending.clear()
      resolve()
    }))
    createInterface({ input: this.child.stdout }).on('line', line => {
      // worker.mjs's own reply line.
      const reply = /** @type {{ id: number, ok: boolean, result?: unknown, error?: string }} */ (JSON.parse(line))
      const p = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      if (p === undefined) return
      if (reply.ok) p.resolve(reply.result)
      else p.reject(new Error(`worker ${name}: ${reply.error}`))
    })
  }

  /**
   * @template {keyof WorkerResults} Op
   * @param {Op} op
   * @param {object} args
   * @returns {Promise<WorkerResults[Op]>}
   */
  call (op, args) {
    if (this.dead) return Promise.reject(new Error(`worker ${this.name} is gone`))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.stdin.write(JSON.stringify({ id, op, args }) + '\n')
    })
  }

  async close () {
    if (!this.dead) this.child.stdin.end(JSON.stringify({ op: 'exit' }) + '\n')
    await this.exited
  }
}

/** crun 1.8 needs a cgroup hierarchy it understands: on a v1 hybrid host it gets a private mount namespace without the cgroup2 mount. */
function unifiedIsMounted () {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some(l => {
    const f = l.split(' ')
    return f[4] === '/sys/fs/cgroup/unified' && l.includes(' - cgroup2 ')
  })
}

// ---------------------------------------------------------------- setup

/** @type {string[]} */
const report = []
/** @type {{ plan: typeof plan, sections: Record<string, unknown> }} */
const raw = { plan, sections: {} }
let ocirtFailures = 0
/** @param {string} [text] */
function out (text = '') { report.push(text) }

const ocirtBin = join(dist, 'ocirt')
const addonPath = join(dist, 'ocirt.node')
if (!existsSync(ocirtBin) || !existsSync(addonPath)) {
  console.error('bench: dist/ocirt and dist/ocirt.node are missing: run npm run build first')
  process.exit(1)
}
if (process.getuid?.() !== 0) {
  console.error('bench: the runtimes need root')
  process.exit(1)
}

const tmp = mkdtempSync(join(tmpdir(), 'ocirt-bench-'))
// crun makes its default state dir even when given --root: remove it after us if it was not there before.
const crunDefaultRoot = '/run/crun'
const crunDefaultRootExisted = existsSync(crunDefaultRoot)
const workerPath = join(here, 'worker.mjs')
const hostWorker = new Worker('host', [process.execPath, workerPath, addonPath])
const workers = [hostWorker]
/** @type {Promise<void> | undefined} */
let cleanup
let interrupted = false

/** Deletes every container, stops the workers, removes the temp dir; every caller waits for the one run of it. */
function cleanupEverything () {
  cleanup ??= doCleanup()
  return cleanup
}

async function doCleanup () {
  for (const w of workers) {
    try {
      const r = await w.call('cleanupAll', {})
      for (const [root, c] of Object.entries(r)) {
        // worker.mjs's cleanupAll: the pids killed under 'killed', each root's cleanup under the root.
        if (root === 'killed') {
          const killed = /** @type {string[]} */ (c)
          if (killed.length > 0) log(`${w.name} worker: killed leftover processes ${killed.join(', ')}`)
        } else {
          const rootCleanup = /** @type {{ left?: string[], failures?: ParallelFailure[] }} */ (c)
          if (rootCleanup.left !== undefined && rootCleanup.left.length > 0) log(`cleanup ${root}: ${rootCleanup.left.length} containers could not be deleted: ${JSON.stringify(rootCleanup.failures)}`)
        }
      }
    } catch (e) { log(`cleanup: ${messageOf(e)}`) }
    await w.close()
  }
  rmSync(tmp, { recursive: true, force: true })
  removeBenchCgroup()
  if (!crunDefaultRootExisted) {
    try { rmdirSync(crunDefaultRoot) } catch { /* absent, or not empty: not ours to remove */ }
  }
}

for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => {
    interrupted = true
    log(`${sig}: cleaning up`)
    cleanupEverything().finally(() => process.exit(130))
  })
}

/**
 * @param {string} name
 * @param {string} bin
 * @returns {Runtime}
 */
function runtime (name, bin) {
  const root = join(tmp, `root-${name}`)
  return { name, bin, worker: hostWorker, root, globals: ['--root', root] }
}
const ocirt = runtime('ocirt', ocirtBin)
const runtimes = [ocirt]
for (const name of ['runc', 'crun']) {
  const bin = which(name)
  if (bin === null) { log(`${name} not found: its columns stay empty`); continue }
  runtimes.push(runtime(name, bin))
}
let crunNote = ''
const crun = runtimes.find(r => r.name === 'crun')
if (crun !== undefined && unifiedIsMounted()) {
  const nsWorker = new Worker('crun-ns', ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
    'umount /sys/fs/cgroup/unified && exec "$0" "$@"', process.execPath, workerPath, addonPath])
  workers.push(nsWorker)
  crun.worker = nsWorker
  crunNote = 'crun runs in a private mount namespace without the cgroup2 mount at /sys/fs/cgroup/unified (crun 1.8 cannot use this v1 hybrid layout otherwise); the namespace is made once, outside the timings, by a second, identical worker process.'
}
const names = runtimes.map(r => r.name)
const byName = Object.fromEntries(runtimes.map(r => [r.name, r]))

/**
 * @param {string} dir
 * @param {string[]} args
 * @returns {{ linux: { namespaces: object[] } }} the config (our own make-bundle.sh's)
 */
function makeBundle (dir, args) {
  const r = sh(join(repo, 'scripts', 'make-bundle.sh'), [dir, ...args])
  if (r.status !== 0) throw new Error(`make-bundle.sh ${dir}: ${r.err}`)
  const file = join(dir, 'config.json')
  const config = JSON.parse(readFileSync(file, 'utf8'))
  // crun 1.8.1 rejects any ociVersion without "1.0" in it ("unknown version specified"); all three accept 1.0.2.
  config.ociVersion = '1.0.2'
  writeFileSync(file, JSON.stringify(config, null, '\t'))
  return config
}
const bundleTrue = join(tmp, 'bundle-true')
const bundleSleep = join(tmp, 'bundle-sleep')
const bundleInvalid = join(tmp, 'bundle-invalid')

/** The bundles, and each runtime's root registered with its worker (which cleans it up whatever happens). */
async function setup () {
  for (const rt of runtimes) await rt.worker.call('register', { bin: rt.bin, globals: rt.globals, root: rt.root })
  const trueConfig = makeBundle(bundleTrue, ['true'])
  makeBundle(bundleSleep, ['sleep', '1000000'])
  mkdirSync(bundleInvalid)
  writeFileSync(join(bundleInvalid, 'config.json'), JSON.stringify({
    ...trueConfig,
    root: { path: join(bundleTrue, 'rootfs'), readonly: true },
    linux: { ...trueConfig.linux, namespaces: [...trueConfig.linux.namespaces, { type: 'bogus' }] },
  }, null, '\t'))
}
const pidFile = join(tmp, 'pid')

// ---------------------------------------------------------------- machine

function machine () {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?'
  const osName = /^PRETTY_NAME="?([^"\n]*)/m.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1] ?? '?'
  const cg = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : unifiedIsMounted() ? 'v1 hybrid (cgroup2 at /sys/fs/cgroup/unified)' : 'v1'
  /** @param {string} bin */
  const firstLine = bin => sh(bin, ['--version']).out.split('\n')[0]
  const git = sh('git', ['-C', repo, 'describe', '--always', '--dirty'])
  const rows = [
    ['CPU', `${model} (${cpus().length} logical CPUs, ${availableParallelism()} usable)`],
    ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['kernel', `Linux ${release()}`],
    ['OS', osName],
    ['cgroups', cg],
    ...runtimes.map(rt => [rt.name, `${firstLine(rt.bin)} (${rt.bin}${rt.name === 'ocirt' && git.status === 0 ? `, git ${git.out}` : ''})`]),
    ['node (harness)', process.version],
    ['load average at start (1, 5, 15 min)', loadavg().map(x => x.toFixed(2)).join(', ')],
    ['date', new Date().toISOString()],
    ['mode', flags.quick ? 'quick (--quick)' : 'full'],
  ]
  return rows
}

// ---------------------------------------------------------------- the interleaving

/**
 * Runs fn(rt, i) for every runtime in every iteration, order rotating; warm-up iterations are discarded.
 * @template T
 * @param {string} label
 * @param {number} iterations
 * @param {(rt: Runtime, i: number) => Promise<T>} fn
 * @param {{ warmup?: number, rts?: Runtime[] }} [options]
 * @returns {Promise<{ samples: Record<string, T[]>, errors: Record<string, string> }>}
 */
async function interleave (label, iterations, fn, { warmup = plan.warmup, rts = runtimes } = {}) {
  /** @type {Record<string, T[]>} */
  const samples = Object.fromEntries(rts.map(rt => [rt.name, []]))
  /** @type {Record<string, string>} */
  const errors = {}
  let alive = [...rts]
  for (let i = -warmup; i < iterations; i++) {
    for (const rt of rotate(alive, i)) {
      try {
        const v = await fn(rt, i)
        if (i >= 0) append(samples, rt.name, v)
      } catch (e) {
        errors[rt.name] = messageOf(e)
        alive = alive.filter(r => r !== rt)
        if (rt.name === 'ocirt') ocirtFailures++
        log(`${label}: ${rt.name} failed: ${messageOf(e)}`)
      }
    }
  }
  return { samples, errors }
}

/**
 * @param {Runtime} rt
 * @param {string[]} argv
 * @param {string} [what] names the command in an error
 * @returns {Promise<TimeResult>}
 */
async function timed (rt, argv, what) {
  const r = await rt.worker.call('time', { argv })
  if (r.status !== 0) throw new Error(`${what ?? argv.slice(2).join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || r.error || '').trim()}`)
  return r
}

/**
 * A row of the results table: medians (p90) of the three, and the two ratios of medians.
 * @type {{ label: string, st: Record<string, Stats>, errors: Record<string, string>, note: string | undefined }[]}
 */
const resultRows = []
/**
 * Rows of the CPU table: per runtime, the CPU ms of each measured operation (summed and averaged).
 * @type {{ label: string, perRuntime: Record<string, number[]> }[]}
 */
const cpuRows = []
/**
 * @param {string} label
 * @param {Record<string, number[]>} perRuntime
 */
function addCpuRow (label, perRuntime) {
  cpuRows.push({ label, perRuntime })
  raw.sections[`cpu: ${label}`] = perRuntime
}
/** @returns {Record<string, number[]>} an empty list per runtime */
const perRt = () => Object.fromEntries(names.map(n => [n, []]))
/**
 * @param {string} label
 * @param {Record<string, number[]>} perRuntime
 * @param {Record<string, string>} [errors]
 * @param {string} [note]
 */
function addRow (label, perRuntime, errors = {}, note) {
  /** @type {Record<string, Stats>} */
  const st = {}
  for (const n of names) {
    const samples = perRuntime[n]
    if (samples !== undefined && samples.length > 0) st[n] = stats(samples)
  }
  resultRows.push({ label, st, errors, note })
  raw.sections[label] = { samples: perRuntime, errors }
}

function renderResults () {
  const header = ['benchmark', ...names.map(n => `${n} median (p90) ms`), 'n']
  if (byName.runc) header.push('ocirt/runc')
  if (byName.crun) header.push('ocirt/crun')
  const rows = resultRows.map(r => {
    const cells = [r.label]
    for (const n of names) {
      if (r.errors[n] !== undefined) cells.push(n === 'ocirt' && /not implemented/.test(r.errors[n]) ? 'ocirt: not implemented yet' : 'error')
      else if (r.st[n] === undefined) cells.push('–')
      else cells.push(`${fmtMs(r.st[n].median)} (${fmtMs(r.st[n].p90)})`)
    }
    cells.push(String(Math.max(0, ...names.map(n => r.st[n]?.n ?? 0))))
    if (byName.runc) cells.push(ratio(r.st.ocirt?.median, r.st.runc?.median))
    if (byName.crun) cells.push(ratio(r.st.ocirt?.median, r.st.crun?.median))
    return cells
  })
  const errs = new Set()
  for (const r of resultRows) for (const [n, e] of Object.entries(r.errors)) if (!/not implemented/.test(e)) errs.add(`${n}: ${e.trim()}`)
  return table(header, rows) + (errs.size > 0 ? `\n\nErrors:\n\n${[...errs].map(e => `- ${e}`).join('\n')}` : '')
}

function renderCpu () {
  /** @param {number[] | undefined} a */
  const mean = a => a !== undefined && a.length > 0 ? a.reduce((x, y) => x + y, 0) / a.length : undefined
  const header = ['CPU (user + sys), mean ms per operation', ...names]
  if (byName.runc) header.push('ocirt/runc')
  if (byName.crun) header.push('ocirt/crun')
  const rows = cpuRows.map(r => {
    const v = Object.fromEntries(names.map(n => [n, mean(r.perRuntime[n])]))
    const cells = [r.label, ...names.map(n => fmtMs(v[n]))]
    if (byName.runc) cells.push(ratio(v.ocirt, v.runc))
    if (byName.crun) cells.push(ratio(v.ocirt, v.crun))
    return cells
  })
  return table(header, rows)
}

// ---------------------------------------------------------------- 1. run

async function benchRun () {
  log(`run /bin/true: ${plan.run} iterations`)
  const cpu = perRt()
  const { samples, errors } = await interleave('run', plan.run, async (rt, i) => {
    const r = await timed(rt, [rt.bin, ...rt.globals, 'run', '--bundle', bundleTrue, `run-${i + 10}`])
    if (i >= 0) append(cpu, rt.name, r.cpuMs)
    return r.ms
  })
  addRow('`run` true', samples, errors)
  addCpuRow('`run` true', cpu)
}

// ---------------------------------------------------------------- 2. lifecycle

async function benchLifecycle () {
  log(`create/start/wait/delete: ${plan.lifecycle} iterations`)
  const steps = /** @type {const} */ (['create', 'start', 'wait', 'delete', 'total'])
  /** @type {Record<typeof steps[number], Record<string, number[]>>} */
  const per = { create: perRt(), start: perRt(), wait: perRt(), delete: perRt(), total: perRt() }
  const cpu = perRt()
  const { errors } = await interleave('lifecycle', plan.lifecycle, async (rt, i) => {
    const r = await rt.worker.call('lifecycle', { bin: rt.bin, globals: rt.globals, bundle: bundleTrue, id: `lc-${i + 10}`, pidFile })
    if (!r.ok) throw new Error(r.error)
    if (i >= 0) for (const s of steps) append(per[s], rt.name, r[s])
    if (i >= 0) append(cpu, rt.name, r.cpuMs)
    return r.total
  })
  addCpuRow('create + start + wait + delete', cpu)
  const labels = { create: '`create --bundle B --pid-file F`', start: '`start`', wait: 'wait for exit (pidfd)', delete: '`delete` (stopped)', total: '**create + start + wait + delete**' }
  for (const s of steps) addRow(labels[s], per[s], errors)
  await benchKill()
}

/** `kill ID KILL` of a running container (issue 11 sets a goal for it), interleaved like the lifecycle. */
async function benchKill () {
  log(`kill KILL of a running container: ${plan.lifecycle} iterations`)
  const cpu = perRt()
  const { samples, errors } = await interleave('kill', plan.lifecycle, async (rt, i) => {
    const r = await rt.worker.call('killRunning', { bin: rt.bin, globals: rt.globals, bundle: bundleSleep, id: `kl-${i + 10}`, pidFile })
    if (!r.ok) throw new Error(r.error)
    if (i >= 0) append(cpu, rt.name, r.killCpuMs)
    return r.kill
  })
  addRow('`kill ID KILL` (running)', samples, errors)
  addCpuRow('`kill ID KILL` (running)', cpu)
}

// ---------------------------------------------------------------- 6. memory

/** @typedef {{ rss: number, pss: number, uss: number, count: number, comms: string, initRss: number | null | undefined }} InitMemory */
/** @type {{ runRss?: { samples: Record<string, number[]>, errors: Record<string, string> }, createRss?: { samples: Record<string, number[]>, errors: Record<string, string> }, initMem?: { samples: Record<string, InitMemory[]>, errors: Record<string, string> } }} */
const memory = {}
async function benchMemory () {
  log(`memory: ${plan.memory} iterations`)
  const runRss = await interleave('max RSS run', plan.memory, async (rt, i) => {
    const r = await rt.worker.call('maxRss', { argv: [rt.bin, ...rt.globals, 'run', '--bundle', bundleTrue, `mr-${i + 10}`] })
    if (!r.ok) throw new Error(`run under /usr/bin/time: exit ${r.status}: ${r.stderr}`)
    return r.kb
  }, { warmup: 1 })
  const createRss = await interleave('max RSS create', plan.memory, async (rt, i) => {
    const id = `mc-${i + 10}`
    const r = await rt.worker.call('maxRss', { argv: [rt.bin, ...rt.globals, 'create', '--bundle', bundleTrue, '--pid-file', pidFile, id] })
    await timed(rt, [rt.bin, ...rt.globals, 'delete', '--force', id])
    if (!r.ok) throw new Error(`create under /usr/bin/time: exit ${r.status}: ${r.stderr}`)
    return r.kb
  }, { warmup: 1 })
  const initMem = await interleave('created init memory', plan.memory, async (rt, i) => {
    const id = `mi-${i + 10}`
    const r = await rt.worker.call('createMemory', { argv: [rt.bin, ...rt.globals, 'create', '--bundle', bundleTrue, '--pid-file', pidFile, id], pidFile })
    await timed(rt, [rt.bin, ...rt.globals, 'delete', '--force', id])
    if (!r.ok) throw new Error(`create: ${r.error}`)
    const procs = r.procs
    /** @param {'rssKb' | 'pssKb' | 'ussKb'} k */
    const sum = k => procs.reduce((a, p) => a + (p[k] ?? 0), 0)
    /** @type {InitMemory} */
    const mem = { rss: sum('rssKb'), pss: sum('pssKb'), uss: sum('ussKb'), count: r.procs.length, comms: r.procs.map(p => p.comm).join(', '), initRss: r.procs.find(p => p.pid === r.pid)?.rssKb }
    return mem
  }, { warmup: 1 })
  memory.runRss = runRss
  memory.createRss = createRss
  memory.initMem = initMem
  raw.sections.memory = memory
}

function renderMemory () {
  /**
   * @template T
   * @param {T[] | undefined} s
   * @param {(x: T) => number | null | undefined} f
   */
  // A value that is missing (no init found, no smaps_rollup) goes into the sort as it is, as it always has.
  const med = (s, f) => s !== undefined && s.length > 0 ? stats(s.map(f).map(x => /** @type {number} */ (x))).median : undefined
  /** @param {number} x */
  const same = x => x
  const header = ['memory (median, MiB)', ...names]
  if (byName.runc) header.push('ocirt/runc')
  if (byName.crun) header.push('ocirt/crun')
  /**
   * @param {string} label
   * @param {(n: string) => number | undefined} get
   */
  const row = (label, get) => {
    const vals = Object.fromEntries(names.map(n => [n, get(n)]))
    const cells = [label, ...names.map(n => fmtMB(vals[n]))]
    if (byName.runc) cells.push(ratio(vals.ocirt, vals.runc))
    if (byName.crun) cells.push(ratio(vals.ocirt, vals.crun))
    return cells
  }
  const rows = [
    row('peak RSS of `run` (wait4 ru_maxrss)', n => med(memory.runRss?.samples[n], same)),
    row('peak RSS of `create` (wait4 ru_maxrss)', n => med(memory.createRss?.samples[n], same)),
    row('created init: VmRSS of the init', n => med(memory.initMem?.samples[n], x => x.initRss)),
    row('created init: VmRSS, all processes left behind', n => med(memory.initMem?.samples[n], x => x.rss)),
    row('created init: PSS, all left behind', n => med(memory.initMem?.samples[n], x => x.pss)),
    row('created init: USS (private), all left behind', n => med(memory.initMem?.samples[n], x => x.uss)),
  ]
  const left = names.map(n => `${n}: ${memory.initMem?.samples[n]?.[0]?.count ?? '?'} (${memory.initMem?.samples[n]?.[0]?.comms ?? '?'})`).join('; ')
  const errs = Object.entries({ ...memory.runRss?.errors, ...memory.createRss?.errors, ...memory.initMem?.errors }).map(([n, e]) => `${n}: ${e}`)
  return table(header, rows) + `\n\nProcesses a created container leaves behind — ${left}.` + (errs.length ? `\n\nErrors: ${errs.join('; ')}` : '')
}

/**
 * Private memory one more created container costs, summed over the runtimes, in kB:
 * measured on the containers alive now, else taken from the memory section, else a guess.
 * @param {number} alive
 * @returns {Promise<number>}
 */
async function ussPerContainerKb (alive) {
  if (alive > 0) {
    let kb = 0
    for (const w of workers) kb += (await w.call('residentKb', {})).ussKb
    return kb / alive * names.length
  }
  let total = 0
  for (const n of names) {
    const s = memory.initMem?.samples[n]
    total += s !== undefined && s.length > 0 ? stats(s.map(x => x.uss)).median : 10 * 1024
  }
  return total
}

// ---------------------------------------------------------------- 3. state / list

async function benchStateList () {
  /** @type {Record<string, number>} */
  const have = Object.fromEntries(names.map(n => [n, 0]))
  /** @type {Record<string, string>} */
  const broken = {}
  /** @type {string[]} */
  const notes = []
  for (const size of plan.sizes) {
    const memAvailable = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]
    if (memAvailable === undefined) throw new Error('no MemAvailable in /proc/meminfo')
    const avail = Number(memAvailable)
    const alive = Object.values(have).reduce((a, b) => a + b, 0)
    const need = (size - Math.min(...Object.values(have))) * await ussPerContainerKb(alive)
    if (need > avail * 0.8) {
      notes.push(`${size} containers skipped: they would need about ${fmtMB(need)} MiB of the ${fmtMB(avail)} MiB available`)
      log(notes.at(-1) ?? '')
      continue
    }
    log(`state/list with ${size} containers: creating them (about ${fmtMB(need)} MiB more memory)`)
    for (const rt of runtimes) {
      if (broken[rt.name]) continue
      /** @type {string[][]} */
      const cmds = []
      for (let k = have[rt.name] ?? 0; k < size; k++) cmds.push([rt.bin, ...rt.globals, 'create', '--bundle', bundleSleep, `s-${k}`])
      const t0 = Date.now()
      const r = await rt.worker.call('parallel', { cmds, concurrency: BATCH_CONCURRENCY })
      if (r.failures.length > 0) {
        const failure = `create: ${r.failures.length} of ${cmds.length} failed: ${r.failures[0]?.stderr.trim()}`
        broken[rt.name] = failure
        if (rt.name === 'ocirt') ocirtFailures++
        log(`state/list: ${rt.name} ${failure}`)
        continue
      }
      log(`  ${rt.name}: ${cmds.length} created in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      have[rt.name] = size
    }
    const rts = runtimes.filter(rt => !broken[rt.name])
    const stCpu = perRt()
    const lsCpu = perRt()
    const st = await interleave(`state (${size})`, plan.stateList, async (rt, i) => {
      const r = await timed(rt, [rt.bin, ...rt.globals, 'state', 's-0'])
      if (i >= 0) append(stCpu, rt.name, r.cpuMs)
      return r.ms
    }, { rts })
    const ls = await interleave(`list (${size})`, plan.stateList, async (rt, i) => {
      const r = await timed(rt, [rt.bin, ...rt.globals, 'list'])
      if (i >= 0) append(lsCpu, rt.name, r.cpuMs)
      const rows = r.stdout.split('\n').filter(l => /^s-\d+\s/.test(l)).length
      if (rows !== size) throw new Error(`list printed ${rows} containers, not ${size}`)
      return r.ms
    }, { rts })
    /** @param {Record<string, string>} e */
    const errs = e => ({ ...Object.fromEntries(Object.entries(broken)), ...e })
    addRow(`\`state\` (${size} container${size > 1 ? 's' : ''} in root)`, st.samples, errs(st.errors))
    addRow(`\`list\` (${size} container${size > 1 ? 's' : ''} in root)`, ls.samples, errs(ls.errors))
    addCpuRow(`\`state\` (${size} in root)`, stCpu)
    addCpuRow(`\`list\` (${size} in root)`, lsCpu)
  }
  log('state/list: deleting the containers')
  for (const rt of runtimes) {
    const ids = []
    for (let k = 0; k < (have[rt.name] ?? 0); k++) ids.push(`s-${k}`)
    const r = await rt.worker.call('parallel', { cmds: ids.map(id => [rt.bin, ...rt.globals, 'delete', '--force', id]), concurrency: 16 })
    if (r.failures.length > 0) log(`state/list cleanup: ${rt.name}: ${r.failures.length} deletes failed: ${r.failures[0]?.stderr}`)
    await rt.worker.call('reap', {})
  }
  return notes
}

// ---------------------------------------------------------------- 4. batch

async function benchBatch () {
  log(`${BATCH} containers, ${BATCH_CONCURRENCY} at a time: ${plan.batches} batches`)
  const create = perRt()
  const del = perRt()
  const cpu = perRt()
  const { errors } = await interleave('batch', plan.batches, async (rt, i) => {
    const ids = Array.from({ length: BATCH }, (_, k) => `b${i + 10}-${k}`)
    const c = await rt.worker.call('parallel', { cmds: ids.map(id => [rt.bin, ...rt.globals, 'create', '--bundle', bundleTrue, id]), concurrency: BATCH_CONCURRENCY })
    const d = await rt.worker.call('parallel', { cmds: ids.map(id => [rt.bin, ...rt.globals, 'delete', '--force', id]), concurrency: BATCH_CONCURRENCY })
    await rt.worker.call('reap', {})
    if (c.failures.length > 0) throw new Error(`create: ${c.failures.length} of ${BATCH} failed: ${c.failures[0]?.stderr.trim()}`)
    if (d.failures.length > 0) throw new Error(`delete --force: ${d.failures.length} of ${BATCH} failed: ${d.failures[0]?.stderr.trim()}`)
    if (i >= 0) { append(create, rt.name, c.ms); append(del, rt.name, d.ms); append(cpu, rt.name, (c.cpuMs + d.cpuMs) / BATCH) }
    return c.ms
  }, { warmup: flags.quick ? 0 : 1 })
  addRow(`${BATCH} × \`create\`, ${BATCH_CONCURRENCY} at a time (wall)`, create, errors)
  addRow(`${BATCH} × \`delete --force\` of created, ${BATCH_CONCURRENCY} at a time (wall)`, del, errors)
  addCpuRow('batch: `create` + `delete --force`, per container', cpu)
}

// ---------------------------------------------------------------- 5. exec

/**
 * @param {Runtime} rt
 * @returns {Promise<boolean>}
 */
async function supportsExec (rt) {
  const help = await rt.worker.call('time', { argv: [rt.bin, '--help'] })
  const execHelp = await rt.worker.call('time', { argv: [rt.bin, 'exec', '--help'] })
  return execHelp.status === 0 && /^\s+exec\b/m.test(help.stdout)
}

async function benchExec () {
  log(`exec: ${plan.exec} iterations`)
  /** @type {Record<string, string>} */
  const errors = {}
  /** @type {Runtime[]} */
  const rts = []
  for (const rt of runtimes) {
    if (!await supportsExec(rt)) { errors[rt.name] = 'not implemented yet'; continue }
    try {
      await timed(rt, [rt.bin, ...rt.globals, 'create', '--bundle', bundleSleep, 'x-1'])
      await timed(rt, [rt.bin, ...rt.globals, 'start', 'x-1'])
      rts.push(rt)
    } catch (e) {
      errors[rt.name] = messageOf(e)
      if (rt.name === 'ocirt') ocirtFailures++
    }
  }
  const cpu = perRt()
  const r = await interleave('exec', plan.exec, async (rt, i) => {
    const x = await timed(rt, [rt.bin, ...rt.globals, 'exec', 'x-1', 'true'])
    if (i >= 0) append(cpu, rt.name, x.cpuMs)
    return x.ms
  }, { rts })
  for (const rt of runtimes) {
    if (errors[rt.name] === undefined) await rt.worker.call('time', { argv: [rt.bin, ...rt.globals, 'delete', '--force', 'x-1'] })
  }
  addRow('`exec` true (into a running container)', r.samples, { ...errors, ...r.errors })
  addCpuRow('`exec` true', cpu)
}

// ---------------------------------------------------------------- 7. binary size

const GLIBC = /^(libc\.so|ld-linux|libm\.so|libpthread\.so|libdl\.so|librt\.so|linux-vdso)/
/**
 * @param {string} bin
 * @returns {Map<string, number>} the size of each shared library bin needs, glibc's left out
 */
function sharedLibs (bin) {
  const r = sh('ldd', [bin])
  /** @type {Map<string, number>} */
  const libs = new Map()
  for (const line of r.out.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(\/\S+)/.exec(line)
    const [, lib, path] = m ?? []
    if (lib !== undefined && path !== undefined && !GLIBC.test(lib)) libs.set(lib, statSync(realpathSync(path)).size)
  }
  return libs
}

function renderSizes () {
  /** @type {string[][]} */
  const rows = []
  /**
   * @param {string} label
   * @param {string[]} files
   */
  const add = (label, files) => {
    const own = files.reduce((a, f) => a + statSync(f).size, 0)
    const libs = new Map()
    for (const f of files) for (const [k, v] of sharedLibs(f)) libs.set(k, v)
    const libBytes = [...libs.values()].reduce((a, b) => a + b, 0)
    rows.push([label, fmtBytes(own), fmtBytes(own + libBytes), [...libs.keys()].join(', ') || '–'])
    return own
  }
  /** @type {Record<string, number>} */
  const sizes = {}
  sizes.ocirt = add('ocirt: `dist/ocirt` + `dist/ocirt.node`', [ocirtBin, addonPath])
  if (existsSync(join(dist, 'ocirt.mjs'))) add('(reference) `node dist/ocirt.mjs`: ocirt.mjs + ocirt.node + node', [join(dist, 'ocirt.mjs'), addonPath, process.execPath])
  for (const n of ['runc', 'crun']) {
    const rt = byName[n]
    if (rt) sizes[n] = add(`${n}: \`${rt.bin}\``, [rt.bin])
  }
  raw.sections.sizes = sizes
  let text = table(['binary', 'size MiB', 'with shared libs (not glibc) MiB', 'shared libs counted'], rows)
  const parts = []
  if (sizes.runc) parts.push(`ocirt/runc ${ratio(sizes.ocirt, sizes.runc)}`)
  if (sizes.crun) parts.push(`ocirt/crun ${ratio(sizes.ocirt, sizes.crun)}`)
  if (parts.length) text += `\n\nSize ratios (own files): ${parts.join(', ')}.`
  return text
}

// ---------------------------------------------------------------- start-up budget

function buildBunHello () {
  for (const pkg of ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline']) {
    const bun = join(repo, 'node_modules', pkg, 'bin', 'bun')
    if (!existsSync(bun)) continue
    if (sh(bun, ['--version']).status !== 0) continue
    const src = join(tmp, 'hello.mjs')
    writeFileSync(src, "console.log('hello')\n")
    const exe = join(tmp, 'bun-hello')
    const r = sh(bun, ['build', '--compile', '--bytecode', '--format=esm', src, '--outfile', exe], { cwd: tmp, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } })
    if (r.status === 0 && existsSync(exe)) return { exe, version: sh(bun, ['--version']).out }
    log(`bun hello: ${r.err}`)
  }
  return null
}

/**
 * In-process phase marks, if ocirt prints them: with OCIRT_TRACE_TIMING=1 set,
 * lines "ocirt-timing <mark> <ns>" on stderr, <ns> being wall-clock ns since the
 * epoch (the clock the worker also reads around spawnSync) at that point.
 * Returns [[segment, ms], ...] from the spawn through each mark to the runtime's exit, or null.
 */
const TRACE = /^ocirt-timing\s+(\S+)\s+(\d+)\s*$/gm
/**
 * @param {TimeResult} r
 * @returns {[string, number][] | null}
 */
function traceSegments (r) {
  /** @type {[string, bigint][]} */
  const marks = [...r.stderr.matchAll(TRACE)].map(m => [m[1] ?? '', BigInt(m[2] ?? '')])
  if (marks.length === 0) return null
  /** @type {[string, bigint]} */
  let previous = ['spawn', BigInt(r.t0)]
  /** @type {[string, number][]} */
  const segs = []
  for (const point of [...marks, /** @type {[string, bigint]} */ (['exited', BigInt(r.t1)])]) {
    segs.push([`${previous[0]}→${point[0]}`, Number(point[1] - previous[1]) / 1e6])
    previous = point
  }
  return segs
}

async function benchStartup () {
  log(`start-up budget: ${plan.startup} iterations`)
  const hello = buildBunHello()
  const o = ocirt
  const g = o.globals
  const busybox = join(bundleTrue, 'rootfs', 'bin', 'busybox')
  /** @type {Record<string, string[]>} */
  const probes = {
    floor: [busybox, 'true'],
    ...(hello ? { bunHello: [hello.exe] } : {}),
    version: [o.bin, '--version'],
    nodeVersion: [process.execPath, join(dist, 'ocirt.mjs'), '--version'],
    createNoBundle: [o.bin, ...g, 'create', '--bundle', join(tmp, 'no-such-bundle'), 'missing'],
    createInvalid: [o.bin, ...g, 'create', '--bundle', bundleInvalid, 'missing'],
    stateMissing: [o.bin, ...g, 'state', 'missing'],
    startMissing: [o.bin, ...g, 'start', 'missing'],
    killMissing: [o.bin, ...g, 'kill', 'missing', 'KILL'],
    deleteMissing: [o.bin, ...g, 'delete', 'missing'],
  }
  const expectFail = new Set(['createNoBundle', 'createInvalid', 'stateMissing', 'startMissing', 'killMissing', 'deleteMissing'])
  /** @type {Record<string, number[]>} */
  const s = Object.fromEntries([...Object.keys(probes), 'create', 'state', 'start', 'kill', 'delete'].map(k => [k, []]))
  /** @type {Record<string, [string, number][][]>} */
  const trace = {}
  const traceEnv = { OCIRT_TRACE_TIMING: '1' }
  const probeKeys = Object.keys(probes)
  /** @type {string | undefined} */
  let failure
  for (let i = -plan.warmup; i < plan.startup && failure === undefined; i++) {
    try {
      for (const k of rotate(probeKeys, i)) {
        const argv = probes[k] ?? []
        const r = await o.worker.call('time', { argv, env: argv[0] === o.bin ? traceEnv : undefined })
        if ((r.status !== 0) !== expectFail.has(k)) throw new Error(`${k}: exit ${r.status}: ${r.stderr}`)
        if (i >= 0) append(s, k, r.ms)
      }
      /**
       * @param {string} k
       * @param {string[]} argv
       */
      const real = async (k, argv) => {
        const r = await o.worker.call('time', { argv, env: traceEnv })
        if (r.status !== 0) throw new Error(`${k}: exit ${r.status}: ${r.stderr}`)
        if (i < 0) return
        append(s, k, r.ms)
        const segs = traceSegments(r)
        if (segs !== null) append(trace, k, segs)
      }
      // A: create, state, kill, (exit), delete of a stopped container.
      const a = `su-a-${i + 10}`
      await real('create', [o.bin, ...g, 'create', '--bundle', bundleTrue, '--pid-file', pidFile, a])
      const pidA = Number(readFileSync(pidFile, 'utf8'))
      await real('state', [o.bin, ...g, 'state', a])
      await real('kill', [o.bin, ...g, 'kill', a, 'KILL'])
      await o.worker.call('waitExit', { pid: pidA })
      await real('delete', [o.bin, ...g, 'delete', a])
      // B: create, start, (exit), delete.
      const b = `su-b-${i + 10}`
      await real('create', [o.bin, ...g, 'create', '--bundle', bundleTrue, '--pid-file', pidFile, b])
      const pidB = Number(readFileSync(pidFile, 'utf8'))
      await real('start', [o.bin, ...g, 'start', b])
      await o.worker.call('waitExit', { pid: pidB })
      await real('delete', [o.bin, ...g, 'delete', b])
    } catch (e) {
      failure = messageOf(e)
      ocirtFailures++
      log(`start-up: ${failure}`)
    }
  }
  // The same cheap commands for runc and crun, for context.
  const ctx = await interleave('start-up context', plan.startup, async (rt) => {
    const v = await rt.worker.call('time', { argv: [rt.bin, '--version'] })
    const m = await rt.worker.call('time', { argv: [rt.bin, ...rt.globals, 'state', 'missing'] })
    return { version: v.ms, stateMissing: m.ms }
  }, { rts: runtimes.filter(r => r.name !== 'ocirt') })
  raw.sections.startup = { samples: s, context: ctx.samples, trace, failure }
  return { s, ctx, hello, trace, failure }
}

/** @param {Awaited<ReturnType<typeof benchStartup>>} startup */
function renderStartup ({ s, ctx, hello, trace, failure }) {
  /** @param {string} k */
  const st = k => {
    const samples = s[k]
    return samples !== undefined && samples.length > 0 ? stats(samples) : undefined
  }
  const lines = []
  if (failure) lines.push(`**start-up measurement failed:** ${failure}\n`)
  /**
   * @param {string} label
   * @param {Stats | undefined} x
   */
  const probeRow = (label, x) => [label, fmtMs(x?.median), fmtMs(x?.p90), fmtMs(x?.min)]
  lines.push(table(['probe (ocirt unless named)', 'median ms', 'p90 ms', 'min ms'], [
    probeRow('harness floor: static busybox `true` (fork + exec + wait)', st('floor')),
    ...(hello ? [probeRow(`empty \`bun build --compile --bytecode\` executable (bun ${hello.version})`, st('bunHello'))] : []),
    probeRow('`ocirt --version`', st('version')),
    probeRow('`node dist/ocirt.mjs --version` (reference: the same bundle under node)', st('nodeVersion')),
    ...names.filter(n => n !== 'ocirt').flatMap(n => {
      const samples = ctx.samples[n] ?? []
      return samples.length > 0
        ? [
            probeRow(`\`${n} --version\``, stats(samples.map(x => x.version))),
            probeRow(`\`${n} state missing\``, stats(samples.map(x => x.stateMissing))),
          ]
        : []
    }),
    probeRow('`ocirt create` of a missing bundle', st('createNoBundle')),
    probeRow('`ocirt create` of a config that fails validation (unknown namespace type)', st('createInvalid')),
    ...['state', 'start', 'kill', 'delete'].map(c => probeRow(`\`ocirt ${c}\` of a missing container`, st(`${c}Missing`))),
    probeRow('`ocirt create` (busybox `true` bundle)', st('create')),
    probeRow('`ocirt start` (created → running)', st('start')),
    probeRow('`ocirt state` (created container)', st('state')),
    probeRow('`ocirt kill KILL` (created container)', st('kill')),
    probeRow('`ocirt delete` (stopped container)', st('delete')),
  ]))

  // The budget: differences of minima (the cost with the least interference;
  // differences of medians are too noisy for 1 ms parts on a small machine).
  /** @param {string} k */
  const m = k => st(k)?.min ?? NaN
  const F = m('floor')
  const H = hello ? m('bunHello') : NaN
  const V = m('version')
  /** @type {string[][]} */
  const rows = []
  /**
   * @param {string} cmd
   * @param {string} what
   * @param {number} cheap
   * @param {number} [validation]
   */
  const row = (cmd, what, cheap, validation) => {
    const R = m(cmd)
    const rest = R - cheap - (validation ?? 0)
    rows.push([
      `\`${cmd}\` ${what}`, fmtMs(R), fmtMs(F),
      hello ? fmtMs(H - F) : '–',
      hello ? fmtMs(V - H) : `${fmtMs(V - F)} (with runtime start)`,
      fmtMs(R - V),
      fmtMs(cheap - V),
      validation === undefined ? '–' : fmtMs(validation),
      fmtMs(rest),
      `${Math.round((V / R) * 100)}%`,
    ])
  }
  row('create', '(busybox `true` bundle)', m('createNoBundle'), m('createInvalid') - m('createNoBundle'))
  row('start', '(created → running)', m('startMissing'))
  row('state', '(created container)', m('stateMissing'))
  row('kill', 'KILL (created container)', m('killMissing'))
  row('delete', '(stopped container)', m('deleteMissing'))
  lines.push('')
  lines.push('Budget (ms, from the minima above):')
  lines.push('')
  lines.push(table(['command', 'total', 'fork/exec/wait', 'bun runtime start', 'ocirt JS load + argv', 'the command itself (total − `--version`)', 'of which: command load + lookup', 'of which: read + validate config', 'of which: the rest (kernel work + state I/O)', 'fixed start-up share (`--version` / total)'], rows))

  const E = m('stateMissing') - m('state')
  lines.push('')
  lines.push(`Error-path surcharge: \`state\` of a missing container takes ${fmtMs(E)} ms longer than \`state\` of a created one, although it does less work; the difference is ocirt's error reporting (message on stderr, exit 1), and every failing probe above carries about that much. Net of it, loading the create command (its modules, the config validator, the plan builder) costs about ${fmtMs(m('createNoBundle') - V - E)} ms, and create's kernel work + state I/O is about ${fmtMs(m('create') - m('createInvalid') + E)} ms.`)

  const traced = Object.keys(trace)
  lines.push('')
  if (traced.length === 0) {
    lines.push('In-process phases: ocirt printed no `OCIRT_TRACE_TIMING=1` marks (the hook is not in src/ yet), so the budget above is derived from outside only.')
  } else {
    /** @type {string[]} */
    const segNames = []
    for (const k of traced) for (const run of trace[k] ?? []) for (const [n] of run) if (!segNames.includes(n)) segNames.push(n)
    const trows = traced.map(k => [`\`${k}\``, ...segNames.map(n => {
      const v = (trace[k] ?? []).flatMap(run => run.filter(([x]) => x === n).map(([, ms]) => ms))
      return v.length > 0 ? fmtMs(stats(v).median) : ''
    })])
    lines.push('In-process phases (`OCIRT_TRACE_TIMING=1`, medians in ms; the first segment starts at the spawn, the last ends when the worker sees the exit):')
    lines.push('')
    lines.push(table(['command', ...segNames], trows))
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------- main

let failed = false
try {
  await setup()
  const mach = machine()
  const floor = []
  for (let i = 0; i < 20; i++) floor.push((await hostWorker.call('time', { argv: [join(bundleTrue, 'rootfs', 'bin', 'busybox'), 'true'] })).ms)
  out(`# ocirt benchmark (${flags.quick ? 'quick' : 'full'})`)
  out()
  out(table(['machine', ''], mach))
  out()
  out(`All three runtimes run the same busybox bundle (scripts/make-bundle.sh; ocirt's default config with ociVersion 1.0.2), interleaved round-robin within each iteration, each with its own temporary --root. Times are wall-clock medians (p90) in ms of the runtime process, measured around spawnSync by a subreaper worker; they include the harness floor of fork + exec + wait (static busybox \`true\`: median ${fmtMs(stats(floor).median)} ms). Ratios are of medians: below 1.00 means ocirt is faster.${crunNote ? ' ' + crunNote : ''}`)
  out()

  if (wanted.has('run')) await benchRun()
  if (wanted.has('lifecycle')) await benchLifecycle()
  if (wanted.has('memory')) await benchMemory()
  /** @type {string[]} */
  let slNotes = []
  if (wanted.has('statelist')) slNotes = await benchStateList()
  if (wanted.has('batch')) await benchBatch()
  if (wanted.has('exec')) await benchExec()
  let startup
  if (wanted.has('startup')) startup = await benchStartup()

  if (resultRows.length > 0) {
    out('## Time')
    out()
    out(renderResults())
    out()
    if (slNotes.length) out(slNotes.map(n => `- ${n}`).join('\n') + '\n')
    if (plan.sizes.length && wanted.has('statelist')) out('`state`/`list` run against containers that are created but not started (`sleep` bundle); `list` is the default table and its row count is checked.\n')
    if (wanted.has('batch')) out('runc\'s `delete --force` of a created container sleeps 100 ms before it checks that the init died (runc 1.1 `killContainer`).\n')
  }
  if (cpuRows.length > 0) {
    out('## CPU time')
    out()
    out('CPU consumed (user + sys) by the runtime\'s processes and by the container processes reaped during the operation (the cutime + cstime of the worker from `/proc/self/stat`: 10 ms ticks, so each reading is off by up to one tick either way, but without bias: the mean over n operations is good to about ±10/√n ms). Less sensitive than wall time to other load on the machine.')
    out()
    out(renderCpu())
    out()
  }
  if (wanted.has('memory')) {
    out('## Memory')
    out()
    out(renderMemory())
    out()
  }
  if (wanted.has('size')) {
    out('## Binary size')
    out()
    out(renderSizes())
    out()
  }
  if (startup) {
    out('## ocirt start-up budget (from outside)')
    out()
    out(renderStartup(startup))
    out()
    out('Budget columns are differences of minima: fork/exec/wait = static busybox `true`; bun runtime start = empty bun executable − that; JS load = `ocirt --version` − empty bun executable; the command itself = total − `--version`, split further as: command load + lookup = the command on a missing container (for create: a missing bundle) − `--version`; read + validate = create of an invalid config − create of a missing bundle; the rest is what the successful command does beyond that: for create the plan, the clone3, namespaces, mounts and pivot_root of the init, the state file; for the others the state read, the pidfd checks and signals, and the exec.sock hand-off or the removal of the state dir. The failing probes also pay for an error message and exit(1), so their parts are upper bounds and "the rest" a lower bound; it comes out negative where the error path of ocirt is slower than its success path, which is why "the command itself" is the robust column.')
    out()
  }
} catch (e) {
  failed = true
  log(interrupted ? 'interrupted' : `harness error: ${(e instanceof Error ? e.stack : undefined) ?? e}`)
  out(`\n**harness error:** ${messageOf(e)}\n`)
} finally {
  log('cleaning up')
  await cleanupEverything()
}

const seconds = Number(process.hrtime.bigint() - benchStart) / 1e9
out(`Benchmark wall time: ${seconds.toFixed(1)} s. Load average at the end: ${loadavg().map(x => x.toFixed(2)).join(', ')}.`)
const text = report.join('\n') + '\n'
process.stdout.write(text)
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, text)
writeFileSync(outFile.replace(/\.md$/, '') + '.json', JSON.stringify(raw, null, 1))
log(`wrote ${outFile}`)
if (ocirtFailures > 0) log(`${ocirtFailures} ocirt failure(s): exit 1`)
process.exit(failed || ocirtFailures > 0 ? 1 : 0)
