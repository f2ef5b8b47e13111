#!/usr/bin/env node
// node bench/syscall-budget.mjs [--runtimes ocirt,runc,crun] [--repeat N] [--out FILE] [--json FILE] [--keep DIR]
//
// Counts, per runtime and command, what one container lifecycle costs the
// kernel: syscalls by name, processes and threads created, execs, files
// opened, and the cgroup filesystem operations (opens, writes by file, mkdir,
// rmdir, bpf, clone3 with CLONE_INTO_CGROUP). Counts, not times: they are
// what stays comparable between this host and the cgroup v2 qemu guest, where
// TCG makes every time 20-30x longer (docs/performance.md, "cgroup v2 budget").
//
// The lifecycle, on scripts/make-bundle.sh's busybox bundle, each runtime
// with its own temporary --root: `create` (process `sleep`), `start`,
// `state`, `kill ID KILL`, then (untraced) wait for the exit, `delete`; and
// `run` of a bundle whose process is `true`. Each command is traced alone
// with `strace -f -y -ttt -T`; with --repeat N (default 3) each number is the
// median of N lifecycles.
//
// Where the line is drawn. Counted: the runtime process, every thread and
// process it creates, and their children, including runc's re-exec of itself
// (`runc init`, /proc/self/exe) and ocirt's exec of its sealed stage (a
// memfd), up to and including each process's successful execve of the
// container's own program (`sleep` or `true`). Nothing the container program
// does after that exec is counted. Not counted: the `sh` that starts the
// runtime under strace, and that sh's child before its execve of the runtime.
//
// Why strace ends. `strace -f` follows the init that `create` leaves behind,
// which lives on after `create` returns, so a plain `strace -f create` never
// ends. The runtime runs under a sh that interrupts strace when the runtime
// exits (bench/trace-lib.mjs underStrace()); strace then detaches from the
// init, which is blocked on its exec fifo or socket by then: everything it
// did before blocking is in the trace. For `start`, a second strace is
// attached to the created init first (`-p PID -f --detach-on=execve`): it
// records the init's remaining steps and detaches by itself at the init's
// execve of the container program. (`--detach-on=execve` cannot be used on
// the runtime itself: it would detach at runc's self-exec and at ocirt's exec
// of its stage.)
//
// crun runs in a private mount namespace without /sys/fs/cgroup/unified on a
// v1 hybrid host, this script in a cgroup of its own on a v1 host, and it is
// the subreaper of the inits (bench/trace-lib.mjs says why).
//
// Needs root, strace, dist/ocirt and dist/ocirt.node (npm run build).
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, release } from 'node:os'
import { basename, join } from 'node:path'
import { cgroupLayout, deleteContainer, median, parseFlags, readText, reapAll, repo, runAndExit, setUp, table, underStrace, which } from './trace-lib.mjs'

delete process.env.NODE_EXTRA_CA_CERTS

const options = parseFlags('syscall-budget', process.argv.slice(2), { runtimes: ['ocirt', 'runc', 'crun'], repeat: 3, ocirt: join(repo, 'dist', 'ocirt') }, ['out', 'json', 'keep'])

/** @typedef {import('./trace-lib.mjs').Runtime} Runtime */
/** @typedef {{ opens: number, writes: number, writesByFile: Record<string, number>, mkdir: number, rmdir: number, bpf: number, cloneIntoCgroup: number }} CgroupCounts */
/**
 * The counts of one trace (see countTrace).
 * @typedef {{ syscalls: number, byName: Record<string, number>, processes: number, threads: number, execs: string[], opens: number, opensFailed: number, cgroup: CgroupCounts, pids: number }} TraceCounts
 */
/**
 * One lifecycle's counts by command; `start` is `startRuntime` plus `startInit`.
 * @typedef {{ create: TraceCounts, startRuntime: TraceCounts, startInit: TraceCounts, start: TraceCounts, state: TraceCounts, kill: TraceCounts, delete: TraceCounts, run: TraceCounts }} LifecycleCounts
 */
/**
 * One command's medians over the rounds.
 * @typedef {{ syscalls: number, byName: Record<string, number>, processes: number, threads: number, execs: number, execTargets: string[], opens: number, opensFailed: number, cgroup: CgroupCounts, initSyscalls?: number }} CommandSummary
 */

/** @param {string} msg */
function log (msg) {
  process.stderr.write(`[syscall-budget] ${msg}\n`)
}

if (which('strace') === null) {
  console.error('syscall-budget: strace is missing (apt-get install strace)')
  process.exit(1)
}
const { native, leaveOwnCgroup, work, traces, bundles, runtimes } = setUp('budget', options, { sleep: ['sleep', '1000000'], true: ['true'] }, log)
const bundleSleep = bundles.sleep
const bundleTrue = bundles.true

// ---------------------------------------------------------------- tracing one command

const STRACE = ['-f', '-y', '-ttt', '-T', '-s', '96']

/**
 * Runs one runtime command under strace and returns its trace file; throws
 * if the runtime failed. stdout and stderr go to files, never pipes: a
 * created init inherits them.
 * @param {Runtime} rt
 * @param {string} label names the trace file
 * @param {string[]} args
 * @returns {string} the trace file
 */
function traceCommand (rt, label, args) {
  const trace = join(traces, `${label}.strace`)
  const rcFile = join(work, 'rc')
  rmSync(rcFile, { force: true })
  const outFd = openSync(join(work, 'out'), 'w')
  const errFd = openSync(join(work, 'err'), 'w')
  const argv = underStrace(rt, STRACE, trace, rcFile, args)
  try {
    spawnSync(argv[0] ?? 'strace', argv.slice(1), { stdio: ['ignore', outFd, errFd], timeout: 600_000 })
  } finally {
    closeSync(outFd)
    closeSync(errFd)
  }
  const status = Number(readText(rcFile).trim())
  if (status !== 0) throw new Error(`${rt.name} ${args.join(' ')}: exit ${readText(rcFile).trim() || '?'}: ${readText(join(work, 'err')).trim()}`)
  return trace
}

/**
 * Attaches strace to a created init (and what it forks) until it execs the
 * container's program. Returns the trace file, `attached` (resolves once
 * strace has attached), `done` (resolves when that strace has exited) and
 * `stop` (interrupts it, if the exec never comes).
 * @param {Runtime} rt
 * @param {string} label names the trace file
 * @param {number} pid
 */
function attachToInit (rt, label, pid) {
  const trace = join(traces, `${label}.strace`)
  const argv = [...rt.prefix, 'strace', ...STRACE, '-I', '1', '--detach-on=execve', '-o', trace, '-p', String(pid)]
  const child = spawn(argv[0] ?? 'strace', argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  /** @type {Promise<void>} */
  const attached = new Promise((resolve, reject) => {
    child.stderr.on('data', chunk => {
      stderr += chunk
      if (/attached/.test(stderr)) resolve()
    })
    child.once('exit', () => reject(new Error(`strace -p ${pid} exited before it attached: ${stderr.trim()}`)))
  })
  const done = new Promise(resolve => child.once('exit', resolve))
  const stop = () => { try { child.kill('SIGINT') } catch { /* gone */ } }
  return { trace, attached, done, stop }
}

/**
 * Waits for pid (our child since `create` returned: we are its subreaper) to
 * exit, then reaps it; false on timeout. No pidfd means it is reaped already.
 * @param {number} pid
 * @param {number} timeoutMs
 * @returns {boolean}
 */
function waitExit (pid, timeoutMs) {
  const fd = native.pidfdOpen(pid)
  if (fd < 0) return true
  let exited = false
  try { exited = native.pidfdWait(fd, timeoutMs) } finally { closeSync(fd) }
  if (exited) reapAll(native)
  return exited
}

// ---------------------------------------------------------------- reading a trace

const PROCESS_CREATION = new Set(['clone', 'clone3', 'fork', 'vfork'])
const OPENS = new Set(['open', 'openat', 'openat2', 'creat'])
const WRITES = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2'])
const EXECS = new Set(['execve', 'execveat'])

/**
 * The path a syscall line names: its first string argument, resolved
 * against its directory fd when relative (strace -y prints the fd's path).
 * Both `mkdir("/sys/fs/cgroup/cpu/x")` and `mkdirat(5</sys/fs/cgroup/cpu>, "x")`
 * name the host's cgroupfs; `mkdirat(5<ROOTFS/sys/fs/cgroup>, "cpu")` does not.
 * @param {string} body
 * @returns {string | undefined}
 */
function pathOf (body) {
  const m = /^\w+\((?:(?:\d+|AT_FDCWD)<([^>]*)>(?:\(deleted\))?, )?"([^"]*)"/.exec(body)
  if (m === null) return undefined
  const name = m[2] ?? ''
  if (m[1] === undefined) return name
  // openat2 with RESOLVE_IN_ROOT resolves even an absolute name below its directory fd (a container's rootfs).
  if (body.includes('RESOLVE_IN_ROOT')) return `${m[1]}/${name.replace(/^\/+/, '')}`
  return name.startsWith('/') ? name : `${m[1]}/${name}`
}

/**
 * @param {string | undefined} path
 * @returns {path is string} whether path is in the host's cgroupfs
 */
function inCgroupfs (path) {
  return path !== undefined && (path === '/sys/fs/cgroup' || path.startsWith('/sys/fs/cgroup/'))
}

/**
 * The counts of one trace. `program` is the container's program (its
 * basename): a process's successful exec of it is its last counted syscall.
 * With `wrapped`, the trace's first pid is the sh wrapper (not counted) and
 * its child counts only from its exec of the runtime on. With `detachOnExec`
 * (a trace made with --detach-on=execve), an exec whose line strace left
 * unfinished or marked detached succeeded: that is when strace detaches.
 * @param {string} file
 * @param {{ program: string, wrapped: boolean, detachOnExec?: boolean }} how
 * @returns {TraceCounts}
 */
function countTrace (file, { program, wrapped, detachOnExec = false }) {
  /** @type {Omit<TraceCounts, 'pids'>} */
  const counts = {
    syscalls: 0,
    byName: {},
    processes: 0,
    threads: 0,
    execs: [],
    opens: 0,
    opensFailed: 0,
    cgroup: { opens: 0, writes: 0, writesByFile: {}, mkdir: 0, rmdir: 0, bpf: 0, cloneIntoCgroup: 0 },
  }
  /** @type {Set<number>} the counted processes */
  const pids = new Set()
  /** @type {Map<number, { body: string, counted: boolean }>} */
  const pending = new Map() // pid -> { body, counted } of an unfinished syscall
  /** @type {Set<number>} */
  const done = new Set() // pids past their exec of the container's program
  // wrapped: the first pid is the sh wrapper, the first other pid its child, the runtime.
  /** @type {number | null} */
  let wrapperPid = null
  /** @type {number | null} */
  let runtimePid = null
  let runtimeExeced = !wrapped
  /** @param {number} pid */
  const counts_ = pid => pid !== wrapperPid && !done.has(pid) && (pid !== runtimePid || runtimeExeced)

  /**
   * The effects of one finished syscall of a counted process.
   * @param {number} pid
   * @param {string} body
   */
  const recordCompleted = (pid, body) => {
    const name = /^(\w+)\(/.exec(body)?.[1] ?? ''
    const at = body.lastIndexOf(') = ')
    const ret = at < 0 ? '?' : body.slice(at + 4).split(' ')[0] ?? '?'
    // Under --detach-on=execve strace lets go of a process at its successful exec: the line never gets a result.
    const ok = (ret !== '?' && !ret.startsWith('-1')) || (detachOnExec && EXECS.has(name) && body.endsWith('<detached ...>'))
    if (pid === runtimePid && EXECS.has(name) && ok) runtimeExeced = true
    if (PROCESS_CREATION.has(name) && ok) {
      if (/CLONE_THREAD/.test(body)) counts.threads++
      else counts.processes++
      if (/cgroup=/.test(body)) counts.cgroup.cloneIntoCgroup++
    }
    if (EXECS.has(name) && ok) {
      const path = /^\w+\((?:(?:\d+|AT_FDCWD)<([^>]*)>(?:\(deleted\))?, )?"([^"]*)"/.exec(body)
      const target = path === null ? '?' : path[2] === '' ? `fd ${path[1] ?? '?'}` : path[2] ?? '?'
      counts.execs.push(target)
      if (basename(target) === program) done.add(pid)
    }
    if (OPENS.has(name)) {
      if (ok) counts.opens++
      else counts.opensFailed++
      if (ok && inCgroupfs(pathOf(body))) counts.cgroup.opens++
    }
    const fdPath = /^\w+\(\d+<([^>]*)>/.exec(body)?.[1]
    if (WRITES.has(name) && inCgroupfs(fdPath)) {
      counts.cgroup.writes++
      const file = basename(fdPath)
      counts.cgroup.writesByFile[file] = (counts.cgroup.writesByFile[file] ?? 0) + 1
    }
    if ((name === 'mkdir' || name === 'mkdirat') && inCgroupfs(pathOf(body))) counts.cgroup.mkdir++
    if ((name === 'rmdir' || (name === 'unlinkat' && body.includes('AT_REMOVEDIR'))) && inCgroupfs(pathOf(body))) counts.cgroup.rmdir++
    if (name === 'bpf') counts.cgroup.bpf++
  }

  for (const line of readText(file).split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line)
    if (m === null) continue
    const pid = Number(m[1])
    let body = m[3] ?? ''
    if (wrapped && wrapperPid === null) wrapperPid = pid
    else if (wrapped && runtimePid === null && pid !== wrapperPid) runtimePid = pid
    if (body.startsWith('+++') || body.startsWith('---')) continue
    let counted
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body)
    if (resumed !== null) {
      const entry = pending.get(pid)
      pending.delete(pid)
      body = (entry?.body ?? `${resumed[1]}(`) + (resumed[2] ?? '')
      counted = entry?.counted ?? false
    } else {
      const name = /^(\w+)\(/.exec(body)?.[1]
      if (name === undefined) continue
      // The runtime's own exec is its first counted syscall.
      counted = counts_(pid) || (pid === runtimePid && EXECS.has(name))
      if (counted) {
        counts.syscalls++
        counts.byName[name] = (counts.byName[name] ?? 0) + 1
        pids.add(pid)
      }
      if (body.endsWith('<unfinished ...>')) {
        pending.set(pid, { body: body.slice(0, -'<unfinished ...>'.length), counted })
        continue
      }
    }
    if (!counted) continue
    recordCompleted(pid, body)
  }
  // A process strace detached from at its exec (--detach-on=execve) may leave the exec unfinished.
  if (detachOnExec) {
    for (const [pid, entry] of pending) if (entry.counted && EXECS.has(/^(\w+)\(/.exec(entry.body)?.[1] ?? '')) recordCompleted(pid, `${entry.body}<detached ...>`)
  }
  return { ...counts, pids: pids.size }
}

/**
 * Sums the counts of the traces of one command (the runtime's and the attached init's).
 * @param {TraceCounts} a
 * @param {TraceCounts} b
 * @returns {TraceCounts}
 */
function addCounts (a, b) {
  /**
   * @param {Record<string, number>} x
   * @param {Record<string, number>} y
   */
  const sumMaps = (x, y) => {
    const out = { ...x }
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v
    return out
  }
  return {
    syscalls: a.syscalls + b.syscalls,
    byName: sumMaps(a.byName, b.byName),
    processes: a.processes + b.processes,
    threads: a.threads + b.threads,
    execs: [...a.execs, ...b.execs],
    opens: a.opens + b.opens,
    opensFailed: a.opensFailed + b.opensFailed,
    cgroup: {
      opens: a.cgroup.opens + b.cgroup.opens,
      writes: a.cgroup.writes + b.cgroup.writes,
      writesByFile: sumMaps(a.cgroup.writesByFile, b.cgroup.writesByFile),
      mkdir: a.cgroup.mkdir + b.cgroup.mkdir,
      rmdir: a.cgroup.rmdir + b.cgroup.rmdir,
      bpf: a.cgroup.bpf + b.cgroup.bpf,
      cloneIntoCgroup: a.cgroup.cloneIntoCgroup + b.cgroup.cloneIntoCgroup,
    },
    pids: a.pids + b.pids,
  }
}

// ---------------------------------------------------------------- one lifecycle

/**
 * @param {Runtime} rt
 * @param {number} round
 * @returns {Promise<LifecycleCounts>}
 */
async function lifecycle (rt, round) {
  const id = `budget-${process.pid}-${rt.name}-${round}`
  const tag = `${rt.name}-${round}`
  const pidFile = join(work, `${id}.pid`)
  /** @type {LifecycleCounts} */
  let result
  try {
    const create = countTrace(traceCommand(rt, `${tag}-create`, ['create', '--bundle', bundleSleep, '--pid-file', pidFile, id]), { program: 'sleep', wrapped: true })
    const pid = Number(readText(pidFile).trim())
    const init = attachToInit(rt, `${tag}-start-init`, pid)
    await init.attached
    /** @type {TraceCounts} */
    let start
    try {
      start = countTrace(traceCommand(rt, `${tag}-start`, ['start', id]), { program: 'sleep', wrapped: true })
    } finally {
      const timer = setTimeout(init.stop, 60_000)
      await init.done
      clearTimeout(timer)
    }
    const startInit = countTrace(init.trace, { program: 'sleep', wrapped: false, detachOnExec: true })
    const state = countTrace(traceCommand(rt, `${tag}-state`, ['state', id]), { program: 'sleep', wrapped: true })
    const kill = countTrace(traceCommand(rt, `${tag}-kill`, ['kill', id, 'KILL']), { program: 'sleep', wrapped: true })
    if (!waitExit(pid, 60_000)) throw new Error(`${rt.name}: the container ${id} did not exit within 60 s of kill`)
    const del = countTrace(traceCommand(rt, `${tag}-delete`, ['delete', id]), { program: 'sleep', wrapped: true })
    const run = countTrace(traceCommand(rt, `${tag}-run`, ['run', '--bundle', bundleTrue, `${id}-run`]), { program: 'true', wrapped: true })
    result = { create, startRuntime: start, startInit, start: addCounts(start, startInit), state, kill, delete: del, run }
  } finally {
    for (const leftover of [id, `${id}-run`]) deleteContainer(rt, leftover, native)
  }
  return result
}

// ---------------------------------------------------------------- medians and the report

const COMMANDS = /** @type {const} */ (['create', 'start', 'state', 'kill', 'delete', 'run'])
/** @typedef {typeof COMMANDS[number]} Command */
/** @typedef {Record<Command, CommandSummary>} RuntimeSummary */

/**
 * The keys with their counts, the largest count first.
 * @param {Set<string>} keys
 * @param {(key: string) => number} countOf
 * @returns {Record<string, number>}
 */
function byCountDescending (keys, countOf) {
  /** @type {[string, number][]} */
  const entries = [...keys].map(key => [key, countOf(key)])
  return Object.fromEntries(entries.sort((a, b) => b[1] - a[1]))
}

/**
 * Per runtime and command, the median of every number over the rounds.
 * @param {LifecycleCounts[]} rounds
 * @returns {RuntimeSummary}
 */
function summarize (rounds) {
  /** @type {Partial<RuntimeSummary>} */
  const out = {}
  for (const cmd of COMMANDS) {
    const runs = rounds.map(r => r[cmd])
    /** @param {(r: TraceCounts) => number} f */
    const pick = f => median(runs.map(f))
    const names = new Set(runs.flatMap(r => Object.keys(r.byName)))
    const files = new Set(runs.flatMap(r => Object.keys(r.cgroup.writesByFile)))
    /** @type {CommandSummary} */
    const summary = {
      syscalls: pick(r => r.syscalls),
      byName: byCountDescending(names, n => pick(r => r.byName[n] ?? 0)),
      processes: pick(r => r.processes),
      threads: pick(r => r.threads),
      execs: pick(r => r.execs.length),
      execTargets: runs[0]?.execs ?? [],
      opens: pick(r => r.opens),
      opensFailed: pick(r => r.opensFailed),
      cgroup: {
        opens: pick(r => r.cgroup.opens),
        writes: pick(r => r.cgroup.writes),
        writesByFile: byCountDescending(files, f => pick(r => r.cgroup.writesByFile[f] ?? 0)),
        mkdir: pick(r => r.cgroup.mkdir),
        rmdir: pick(r => r.cgroup.rmdir),
        bpf: pick(r => r.cgroup.bpf),
        cloneIntoCgroup: pick(r => r.cgroup.cloneIntoCgroup),
      },
    }
    if (cmd === 'start') {
      summary.initSyscalls = median(rounds.map(r => r.startInit.syscalls))
    }
    out[cmd] = summary
  }
  // The loop above filled in every command.
  return /** @type {RuntimeSummary} */ (out)
}

/**
 * The report: per command, a table with a column per runtime.
 * @param {Record<string, RuntimeSummary>} summary by runtime name
 * @param {string} machine
 * @returns {string}
 */
function render (summary, machine) {
  const names = Object.keys(summary)
  const summaries = Object.values(summary)
  const lines = [`Machine: ${machine}`, '']
  /**
   * @param {string} label
   * @param {(s: RuntimeSummary) => string} f
   */
  const metric = (label, f) => [label, ...summaries.map(f)]
  for (const cmd of COMMANDS) {
    lines.push(`#### \`${cmd}\``, '')
    const rows = [
      metric('syscalls', s => String(s[cmd].syscalls) + (cmd === 'start' ? ` (init ${s[cmd].initSyscalls})` : '')),
      metric('processes created', s => String(s[cmd].processes)),
      metric('threads created', s => String(s[cmd].threads)),
      metric('execs', s => String(s[cmd].execs)),
      metric('files opened (failed opens)', s => `${s[cmd].opens} (${s[cmd].opensFailed})`),
      metric('cgroup: opens', s => String(s[cmd].cgroup.opens)),
      metric('cgroup: writes', s => String(s[cmd].cgroup.writes)),
      metric('cgroup: mkdir / rmdir', s => `${s[cmd].cgroup.mkdir} / ${s[cmd].cgroup.rmdir}`),
      metric('cgroup: bpf / clone3 into cgroup', s => `${s[cmd].cgroup.bpf} / ${s[cmd].cgroup.cloneIntoCgroup}`),
      metric('top syscalls', s => Object.entries(s[cmd].byName).slice(0, 6).map(([n, c]) => `${n} ${c}`).join(', ')),
      metric('cgroup writes by file', s => Object.entries(s[cmd].cgroup.writesByFile).map(([f, c]) => `${f} ${c}`).join(', ') || '–'),
      metric('exec targets (round 1)', s => s[cmd].execTargets.map(t => `\`${t}\``).join(', ') || '–'),
    ]
    lines.push(table(['', ...names], rows), '')
  }
  /** @param {RuntimeSummary} s */
  const total = s => COMMANDS.filter(c => c !== 'run').reduce((a, c) => a + s[c].syscalls, 0)
  lines.push(`Lifecycle total (create + start + state + kill + delete), syscalls: ${Object.entries(summary).map(([n, s]) => `${n} ${total(s)}`).join(', ')}.`)
  return lines.join('\n')
}

// ---------------------------------------------------------------- main

await runAndExit('syscall-budget', async () => {
  const machine = `Linux ${release()}, ${cgroupLayout}, load average ${loadavg().map(x => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}, ${options.repeat} rounds (medians)`
  /** @type {Record<string, RuntimeSummary>} */
  const summary = {}
  /** @type {Record<string, LifecycleCounts[]>} */
  const raw = {}
  for (const rt of runtimes) {
    /** @type {LifecycleCounts[]} */
    const rounds = []
    for (let round = 1; round <= options.repeat; round++) {
      log(`${rt.name}: round ${round} of ${options.repeat}`)
      rounds.push(await lifecycle(rt, round))
    }
    summary[rt.name] = summarize(rounds)
    raw[rt.name] = rounds
    // Each runtime's tables as soon as they are done: a run in the slow guest may hit its time limit later.
    if (options.out !== undefined) writeFileSync(options.out, render(summary, machine) + '\n')
  }
  const report = render(summary, machine)
  if (options.out !== undefined) writeFileSync(options.out, report + '\n')
  else console.log(report)
  if (options.json !== undefined) writeFileSync(options.json, JSON.stringify({ machine, summary, raw }, null, 1))
}, { native, runtimes, work, leaveOwnCgroup })
