#!/usr/bin/env node
// node bench/create-path.mjs [--rounds N] [--runtimes ocirt,runc,crun] [--ocirt PATH] [--keep DIR]
//
// create's critical path, from the runtime's exec to its exit, for ocirt,
// runc and crun side by side (issue 11: "account for every millisecond
// between exec and exit, not only those inside main"). Each round, the
// runtimes in rotating order, on scripts/make-bundle.sh's busybox bundle
// (process `sleep`), each with its own temporary --root:
//
// 1. an untraced `create`, timed around its spawn (the wall time to compare);
// 2. for ocirt, an untraced `create` with OCIRT_TRACE_TIMING=1: its phase
//    marks (src/trace.ts, wall-clock ns) placed between the spawn and the
//    exit seen by this script;
// 3. a `create` under `strace -f --seccomp-bpf -e trace=LANDMARKS -ttt`:
//    only the landmark syscalls below stop the tracee (seccomp-bpf filters
//    the rest in the kernel), so the trace costs a few dozen ptrace stops,
//    not one per syscall. The landmarks give each runtime's phases: start-up
//    until the first cgroup mkdir, the cgroup mkdirs, the clone (and
//    re-exec) of the init, the init's pivot_root, its exec of the sealed
//    stage or `runc init`, the state file's rename, the runtime's exit.
// Every container is deleted (untraced) after its create. The report is
// medians over the rounds, ms since the runtime's exec, plus the load
// average; times under load are only comparable within a round, so read
// the shares, and the differences between runtimes, not the absolute ms.
//
// strace ends when the runtime exits, though the init it created lives on
// (bench/trace-lib.mjs underStrace()). crun runs in a private mount namespace
// without /sys/fs/cgroup/unified on a v1 hybrid host, this script in a cgroup
// of its own on a v1 host (bench/trace-lib.mjs). Needs root, strace,
// dist/ocirt and dist/ocirt.node.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { loadavg, release } from 'node:os'
import { join } from 'node:path'
import { append, cgroupLayout, deleteContainer, median, parseFlags, readText, repo, runAndExit, setUp, table, underStrace } from './trace-lib.mjs'

delete process.env.NODE_EXTRA_CA_CERTS

const options = parseFlags('create-path', process.argv.slice(2), { runtimes: ['ocirt', 'runc', 'crun'], rounds: 11, ocirt: join(repo, 'dist', 'ocirt') }, ['keep'])

/** @param {string} msg */
function log (msg) {
  process.stderr.write(`[create-path] ${msg}\n`)
}

const { native, leaveOwnCgroup, work, traces, bundles, runtimes } = setUp('path', options, { sleep: ['sleep', '1000000'] }, log)
const bundle = bundles.sleep

/** @typedef {import('./trace-lib.mjs').Runtime} Runtime */
/** @typedef {{ pid: number, t: number, name: string, body: string }} TraceEvent one syscall in the strace output */
/** @typedef {Record<string, number | undefined>} Landmarks landmark name to ms since the runtime's exec */

const epochNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))

/**
 * Runs argv with stdout and stderr in files (a created init inherits them; a
 * pipe would stay open) and returns the wall time, the wall-clock ns around
 * it and stderr.
 * @param {string[]} argv
 * @param {Record<string, string>} [env] added to this process's environment
 * @returns {{ ms: number, e0: bigint, status: number | null, stderr: string }}
 */
function run (argv, env) {
  const [command, ...args] = argv
  if (command === undefined) throw new Error('run: no command')
  const outFd = openSync(join(work, 'out'), 'w')
  const errFd = openSync(join(work, 'err'), 'w')
  /** @type {bigint} */
  let t0
  /** @type {bigint} */
  let t1
  /** @type {bigint} */
  let e0
  /** @type {import('node:child_process').SpawnSyncReturns<Buffer>} */
  let r
  try {
    e0 = epochNs()
    t0 = process.hrtime.bigint()
    r = spawnSync(command, args, { stdio: ['ignore', outFd, errFd], env: { ...process.env, ...env }, timeout: 120_000 })
    t1 = process.hrtime.bigint()
  } finally {
    closeSync(outFd)
    closeSync(errFd)
  }
  return { ms: Number(t1 - t0) / 1e6, e0, status: r.status, stderr: readText(join(work, 'err')) }
}

/**
 * @param {Runtime} rt
 * @param {string} id
 */
const createArgs = (rt, id) => [rt.bin, '--root', rt.root, 'create', '--bundle', bundle, id]

/**
 * 1: the untraced create.
 * @param {Runtime} rt
 * @param {string} id
 * @returns {number} its wall time in ms
 */
function untraced (rt, id) {
  const r = run([...rt.prefix, ...createArgs(rt, id)])
  deleteContainer(rt, id, native)
  if (r.status !== 0) throw new Error(`${rt.name} create: exit ${r.status}: ${r.stderr.trim()}`)
  return r.ms
}

/**
 * 2: ocirt's phase marks, ms since the spawn, with `exited` (the spawn returned).
 * @param {Runtime} rt
 * @param {string} id
 * @returns {Record<string, number>}
 */
function ocirtMarks (rt, id) {
  const r = run(createArgs(rt, id), { OCIRT_TRACE_TIMING: '1' })
  deleteContainer(rt, id, native)
  if (r.status !== 0) throw new Error(`ocirt create: exit ${r.status}: ${r.stderr.trim()}`)
  /** @type {Record<string, number>} */
  const marks = { spawn: 0 }
  for (const line of r.stderr.split('\n')) {
    const m = /^ocirt-timing (\S+) (\d+)$/.exec(line)
    if (m !== null && m[1] !== undefined && m[2] !== undefined) marks[m[1]] = Number(BigInt(m[2]) - r.e0) / 1e6
  }
  marks.exited = r.ms
  return marks
}

const LANDMARKS = ['execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'exit_group', 'mkdir', 'mkdirat', 'pivot_root', 'memfd_create', 'rename', 'renameat', 'renameat2']

/**
 * 3: the landmark trace. Returns the landmarks in ms since the runtime's exec:
 * first/last cgroup mkdir, first process clone by the runtime, the first exec
 * by a child (runc init, ocirt's stage, crun's none), pivot_root, the last
 * rename (the state file), the runtime's exit_group; and the trace's own total.
 * @param {Runtime} rt
 * @param {string} id
 * @param {number} round
 * @returns {Landmarks}
 */
function landmarks (rt, id, round) {
  const trace = join(traces, `${rt.name}-${round}.strace`)
  const r = run(underStrace(rt, ['-f', '--seccomp-bpf', '-e', `trace=${LANDMARKS.join(',')}`, '-ttt', '-y', '-qq'], trace, join(work, 'rc'), ['create', '--bundle', bundle, id]))
  deleteContainer(rt, id, native)
  // One event per syscall, at its entry time, with the whole line once it has resumed.
  /** @type {TraceEvent[]} */
  const events = []
  /** @type {Map<number, TraceEvent>} */
  const pending = new Map()
  /** @type {number | null} */
  let wrapperPid = null
  /** @type {number | null} */
  let runtimePid = null
  for (const line of readText(trace).split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line)
    if (m === null) continue
    const pid = Number(m[1])
    if (wrapperPid === null) wrapperPid = pid
    else if (runtimePid === null && pid !== wrapperPid) runtimePid = pid
    const body = m[3] ?? ''
    if (pid === wrapperPid || body.startsWith('+++') || body.startsWith('---')) continue
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(body)
    if (resumed !== null) {
      const event = pending.get(pid)
      pending.delete(pid)
      if (event !== undefined) event.body += resumed[1] ?? ''
      continue
    }
    const event = { pid, t: Number(m[2]) * 1000, name: /^(\w+)\(/.exec(body)?.[1] ?? '', body: body.replace(/ <unfinished \.\.\.>$/, '') }
    events.push(event)
    if (body.endsWith('<unfinished ...>')) pending.set(pid, event)
  }
  // The runtime is a thread group (runc's Go threads exit, rename and clone on any of them).
  const runtime = new Set([runtimePid])
  for (const e of events) {
    const tid = /^clone3?\(.*CLONE_THREAD.*\) = (\d+)$/.exec(e.body)?.[1]
    if (runtime.has(e.pid) && tid !== undefined) runtime.add(Number(tid))
  }
  // t = 0: the runtime's exec has returned.
  const exec = events.find(e => e.pid === runtimePid && e.name === 'execve' && / = 0$/.test(e.body))
  if (exec === undefined) throw new Error(`${rt.name}: no exec of the runtime in ${trace} (exit ${r.status}: ${r.stderr.trim()})`)
  /** @param {TraceEvent | undefined} e */
  const at = e => e === undefined ? undefined : e.t - exec.t
  const cgroupMkdirs = events.filter(e => (e.name === 'mkdir' || e.name === 'mkdirat') && /"\/sys\/fs\/cgroup\//.test(e.body))
  const out = {
    'runtime re-exec (crun: its cloned binary)': at(events.filter(e => runtime.has(e.pid) && /^execve(at)?$/.test(e.name))[1]),
    'first cgroup mkdir': at(cgroupMkdirs[0]),
    'last cgroup mkdir': at(cgroupMkdirs.at(-1)),
    'first process clone': at(events.find(e => runtime.has(e.pid) && /^(clone|clone3|fork|vfork)$/.test(e.name) && !/CLONE_THREAD/.test(e.body))),
    'child exec (stage, runc init)': at(events.find(e => !runtime.has(e.pid) && /^execve(at)?$/.test(e.name))),
    pivot_root: at(events.find(e => e.name === 'pivot_root')),
    'last rename (state)': at(events.filter(e => runtime.has(e.pid) && /^rename/.test(e.name)).at(-1)),
    exit_group: at(events.find(e => runtime.has(e.pid) && e.name === 'exit_group')),
    'traced wall (spawn to exit)': r.ms,
  }
  return out
}

/** @param {number | undefined} v */
const fmt = v => v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2)

await runAndExit('create-path', async () => {
  const loadStart = loadavg()
  /** @type {Record<string, number[]>} */
  const wall = Object.fromEntries(runtimes.map(rt => [rt.name, []]))
  /** @type {Record<string, Landmarks[]>} */
  const path = Object.fromEntries(runtimes.map(rt => [rt.name, []]))
  /** @type {Record<string, number>[]} */
  const marks = []
  for (let round = 0; round < options.rounds; round++) {
    log(`round ${round + 1} of ${options.rounds}`)
    const k = round % runtimes.length
    for (const rt of [...runtimes.slice(k), ...runtimes.slice(0, k)]) {
      const id = `path-${process.pid}-${rt.name}-${round}`
      append(wall, rt.name, untraced(rt, `${id}-u`))
      if (rt.name === 'ocirt') marks.push(ocirtMarks(rt, `${id}-m`))
      append(path, rt.name, landmarks(rt, `${id}-t`, round))
    }
  }
  const lines = [`Linux ${release()}, ${cgroupLayout}, ${options.rounds} rounds, load average ${loadStart.map(x => x.toFixed(2)).join(' ')} at the start and ${loadavg().map(x => x.toFixed(2)).join(' ')} at the end, ${new Date().toISOString()}`, '']
  const names = runtimes.map(rt => rt.name)
  lines.push(table(['`create`, median ms', ...names], [['untraced wall (spawn to exit)', ...names.map(n => fmt(median(wall[n] ?? [])))]]), '')
  const keys = Object.keys(path[names[0] ?? '']?.[0] ?? {})
  lines.push(table(['landmark, median ms since the exec (strace --seccomp-bpf)', ...names], keys.map(key => [key, ...names.map(n => fmt(median((path[n] ?? []).map(p => p[key]))))])), '')
  if (marks.length > 0) {
    const order = Object.keys(marks[0] ?? {})
    lines.push(table(['ocirt OCIRT_TRACE_TIMING mark', 'median ms since the spawn', 'median ms since the previous mark'], order.map((key, i) => {
      const prev = order[i - 1]
      return [key, fmt(median(marks.map(m => m[key]))), prev === undefined ? '–' : fmt(median(marks.map(m => (m[key] ?? NaN) - (m[prev] ?? NaN))))]
    })))
  }
  console.log(lines.join('\n'))
}, { native, runtimes, work, leaveOwnCgroup })
