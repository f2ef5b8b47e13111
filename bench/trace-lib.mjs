// bench/trace-lib.mjs: what bench/syscall-budget.mjs and bench/create-path.mjs
// share: their flags, the runtimes and where each runs, the benchmark's own
// cgroups on a v1 host, the bundle, the subreaper, and the strace wrapper.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The part of dist/ocirt.node the benchmarks call.
 * @typedef {{ setChildSubreaper(): void, waitPid(pid: number, noHang: boolean): object | null, pidfdOpen(pid: number): number, pidfdWait(fd: number, ms: number): boolean }} Addon
 */

/**
 * A runtime found on this host: its binary, its --root, and the command
 * prefix it runs under (see findRuntimes).
 * @typedef {{ name: string, bin: string, prefix: string[], root: string }} Runtime
 */

/** @typedef {(line: string) => void} Log */

/**
 * Parses `--name value` flags into a copy of defaults: a flag whose default is
 * an array takes a comma-separated list, a number a number, a string a path.
 * Exits 2 on an unknown flag.
 * @template {Record<string, string[] | number | string>} Defaults
 * @template {string} Extra
 * @param {string} tool
 * @param {string[]} argv
 * @param {Defaults} defaults
 * @param {Extra[]} extra flags without a default: each takes a path
 * @returns {Defaults & Partial<Record<Extra, string>>}
 */
export function parseFlags (tool, argv, defaults, extra = []) {
  /** @type {Record<string, string[] | number | string>} */
  const options = { ...defaults }
  /** @type {string[]} */
  const extraNames = extra
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? ''
    const key = flag.replace(/^--/, '')
    if (!(key in defaults) && !extraNames.includes(key)) {
      console.error(`${tool}: unknown flag ${flag} (see the header of bench/${tool}.mjs)`)
      process.exit(2)
    }
    const value = argv[++i]
    if (value === undefined) {
      console.error(`${tool}: ${flag} needs a value`)
      process.exit(2)
    }
    const old = defaults[key]
    const parsed = Array.isArray(old) ? value.split(',') : typeof old === 'number' ? Number(value) : resolve(value)
    options[key] = parsed
    if (typeof old === 'number' && !(typeof parsed === 'number' && parsed >= 1)) {
      console.error(`${tool}: ${flag} needs a number of at least 1`)
      process.exit(2)
    }
  }
  if (process.getuid?.() !== 0) {
    console.error(`${tool}: the runtimes need root`)
    process.exit(1)
  }
  // Every key is a default's (with a value of that default's kind) or an extra flag's path.
  return /** @type {Defaults & Partial<Record<Extra, string>>} */ (options)
}

/**
 * @param {string} name
 * @returns {string | null} the first executable named name on PATH or in the sbin/bin directories
 */
export function which (name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

/**
 * @param {string} path
 * @returns {string} its text, or '' if it cannot be read
 */
export function readText (path) {
  try { return readFileSync(path, 'utf8') } catch { return '' }
}

/**
 * dist/ocirt.node beside the ocirt binary, with this process made a child
 * subreaper: the inits that `create` leaves are reparented to it.
 * @param {string} ocirtPath
 * @returns {Addon}
 */
export function loadAddon (ocirtPath) {
  const addon = { exports: {} }
  process.dlopen(addon, join(dirname(ocirtPath), 'ocirt.node'))
  /** @type {Addon} */
  const native = /** @type {any} */ (addon.exports)
  native.setChildSubreaper()
  return native
}

/**
 * Reaps every exited child (the inits left by `create`, once they exit).
 * @param {Addon} native
 */
export function reapAll (native) {
  for (;;) {
    let r
    try { r = native.waitPid(-1, true) } catch { return }
    if (r === null) return
  }
}

export const cgroupV2Only = existsSync('/sys/fs/cgroup/cgroup.controllers')

function cgroupMounts () {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter(line => / - cgroup2? /.test(line))
    .map(line => line.split(' ')[4] ?? '')
    .filter(mount => mount.startsWith('/sys/fs/cgroup'))
}

/**
 * This process's cgroup in the hierarchy mounted at mount, from /proc/self/cgroup and the mount's options.
 * @param {string} mount
 * @returns {string}
 */
function ownCgroupIn (mount) {
  const info = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find(line => line.split(' ')[4] === mount) ?? ''
  const superOptions = (info.split(' ').at(-1) ?? '').split(',')
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers = '', path = '/'] = line.split(':')
    const matches = controllers === '' ? / - cgroup2 /.test(info) : controllers.split(',').every(c => superOptions.includes(c))
    if (matches) return path
  }
  return '/'
}

export const unifiedMounted = cgroupMounts().includes('/sys/fs/cgroup/unified')
export const cgroupLayout = cgroupV2Only ? 'cgroup v2' : unifiedMounted ? 'cgroup v1 hybrid (cgroup2 at /sys/fs/cgroup/unified)' : 'cgroup v1'

/**
 * On a v1 host the containers' default cgroups (below their caller's) would
 * land in the machine supervisor's cgroups: this process moves into a cgroup
 * of its own in every hierarchy (as bench/run.mjs does). On cgroup v2 it
 * stays where it is: a v2 cgroup with a process in it cannot enable
 * controllers for its children. Returns the function that moves it back
 * where it was and removes the cgroup.
 * @param {string} name
 * @param {Log} log
 * @returns {() => void}
 */
export function enterOwnCgroup (name, log) {
  if (cgroupV2Only) return () => {}
  const own = `/${name}-${process.pid}`
  const original = new Map(cgroupMounts().map(mount => [mount, ownCgroupIn(mount)]))
  for (const mount of cgroupMounts()) {
    const dir = join(mount, own)
    mkdirSync(dir, { recursive: true })
    // A v1 cpuset cgroup takes no task until it has CPUs and memory nodes.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, file)) && readFileSync(join(dir, file), 'utf8').trim() === '') writeFileSync(join(dir, file), readFileSync(join(mount, file), 'utf8').trim())
    }
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid))
  }
  return () => {
    for (const mount of cgroupMounts()) {
      try { writeFileSync(join(mount, original.get(mount) ?? '/', 'cgroup.procs'), String(process.pid)) } catch { /* the rmdir below says */ }
    }
    for (const mount of cgroupMounts()) {
      try { rmdirSync(join(mount, own)) } catch (e) { if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'ENOENT') log(`could not remove ${join(mount, own)}`) }
    }
  }
}

/**
 * scripts/make-bundle.sh's busybox bundle with process.args = args.
 * @param {string} dir
 * @param {string[]} args
 */
export function makeBundle (dir, args) {
  const r = spawnSync(join(repo, 'scripts', 'make-bundle.sh'), [dir, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`make-bundle.sh ${dir}: ${r.stderr}`)
  const file = join(dir, 'config.json')
  const config = JSON.parse(readFileSync(file, 'utf8'))
  // crun 1.8.1 rejects an ociVersion without "1.0" in it; all three accept 1.0.2.
  config.ociVersion = '1.0.2'
  writeFileSync(file, JSON.stringify(config, null, '\t'))
}

/**
 * The runtimes found, each with its --root under work and the prefix it runs
 * under: crun 1.8 cannot use the v1 hybrid layout, so on such a host each
 * crun command runs in a private mount namespace without the cgroup2 mount
 * at /sys/fs/cgroup/unified (as bench/run.mjs does), made by unshare
 * outside any trace.
 * @param {string[]} names
 * @param {string} ocirtPath
 * @param {string} work
 * @param {Log} log
 * @returns {Runtime[]}
 */
export function findRuntimes (names, ocirtPath, work, log) {
  /** @type {Runtime[]} */
  const runtimes = []
  for (const name of names) {
    const bin = name === 'ocirt' ? ocirtPath : which(name)
    if (bin === null || !existsSync(bin)) { log(`${name} not found: left out`); continue }
    const prefix = name === 'crun' && unifiedMounted
      ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$@"']
      : []
    runtimes.push({ name, bin, prefix, root: join(work, `root-${name}`) })
  }
  return runtimes
}

/**
 * `delete --force ID` (untraced), then reaps.
 * @param {Runtime} rt
 * @param {string} id
 * @param {Addon} native
 */
export function deleteContainer (rt, id, native) {
  const argv = [...rt.prefix, rt.bin, '--root', rt.root, 'delete', '--force', id]
  spawnSync(argv[0] ?? rt.bin, argv.slice(1), { stdio: 'ignore' })
  reapAll(native)
}

/**
 * The command that runs a runtime under `strace -f` and ends that strace when
 * the runtime exits, though the init it created lives on (a plain
 * `strace -f create` never ends: it follows that init). The runtime runs as
 * `sh -c 'RUNTIME ARGS; echo $? > RCFILE; kill -INT $PPID'` under
 * `strace -I 1`: when the runtime exits, the sh interrupts strace (its
 * parent), and strace, blocking no signals (-I 1), detaches from every tracee
 * it still has and exits. The init, then blocked on its exec fifo or socket,
 * goes on untraced; what it did before blocking is in the trace. The trace's
 * first pid is that sh.
 * @param {Runtime} rt
 * @param {string[]} straceFlags
 * @param {string} trace the strace output file
 * @param {string} rcFile where the sh writes the runtime's exit status
 * @param {string[]} args
 * @returns {string[]}
 */
export function underStrace (rt, straceFlags, trace, rcFile, args) {
  const wrapper = ['sh', '-c', '"$@"; echo $? > "$0"; kill -INT $PPID', rcFile, rt.bin, '--root', rt.root, ...args]
  return [...rt.prefix, 'strace', ...straceFlags, '-I', '1', '-o', trace, '--', ...wrapper]
}

/**
 * @param {(number | undefined)[]} values
 * @returns {number} the median of the values that are numbers, NaN if none is
 */
export function median (values) {
  const s = values.flatMap(v => v === undefined || Number.isNaN(v) ? [] : [v]).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  // Both indexes are within s: its length is at least 1.
  return s.length % 2 ? /** @type {number} */ (s[(s.length - 1) / 2]) : (/** @type {number} */ (s[s.length / 2 - 1]) + /** @type {number} */ (s[s.length / 2])) / 2
}

/**
 * Appends value to the list byName[name], which it makes if it is missing.
 * @template T
 * @param {Record<string, T[]>} byName
 * @param {string} name
 * @param {T} value
 */
export function append (byName, name, value) {
  (byName[name] ??= []).push(value)
}

/**
 * A Markdown table, the first column left-aligned and the others right-aligned.
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 * @returns {string}
 */
export function table (header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => i === 0 ? ':---' : '---:').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n')
}

/**
 * Runs main; on an error prints one line and exits 1. Whatever happens, removes
 * the runtimes' roots and the work directory, reaps, and leaves the own cgroup.
 * @param {string} tool
 * @param {() => Promise<void>} main
 * @param {{ native: Addon, runtimes: Runtime[], work: string, leaveOwnCgroup: () => void }} setUpResult
 * @returns {Promise<never>}
 */
export async function runAndExit (tool, main, { native, runtimes, work, leaveOwnCgroup }) {
  let failed = false
  try {
    await main()
  } catch (e) {
    failed = true
    console.error(`${tool}: ${e instanceof Error ? e.message : String(e)}`)
  } finally {
    for (const rt of runtimes) rmSync(rt.root, { recursive: true, force: true })
    reapAll(native)
    rmSync(work, { recursive: true, force: true })
    leaveOwnCgroup()
  }
  process.exit(failed ? 1 : 0)
}

/**
 * What both tools start with: the addon (this process a subreaper), the own
 * cgroup, a work directory, the traces directory (--keep or under work),
 * the bundles (name -> process.args) and the runtimes.
 * @template {string} Name
 * @param {string} tool
 * @param {{ ocirt: string, runtimes: string[], keep?: string | undefined }} options
 * @param {Record<Name, string[]>} bundles
 * @param {Log} log
 * @returns {{ native: Addon, leaveOwnCgroup: () => void, work: string, traces: string, bundles: Record<Name, string>, runtimes: Runtime[] }}
 */
export function setUp (tool, options, bundles, log) {
  const native = loadAddon(options.ocirt)
  const leaveOwnCgroup = enterOwnCgroup(`ocirt-${tool}`, log)
  const work = mkdtempSync(join(tmpdir(), `ocirt-${tool}-`))
  const traces = options.keep ?? join(work, 'traces')
  mkdirSync(traces, { recursive: true })
  /** @type {Partial<Record<Name, string>>} */
  const bundleDirs = {}
  for (const name of /** @type {Name[]} */ (Object.keys(bundles))) {
    const dir = join(work, `bundle-${name}`)
    makeBundle(dir, bundles[name])
    bundleDirs[name] = dir
  }
  // The loop above filled in every name of bundles.
  return { native, leaveOwnCgroup, work, traces, bundles: /** @type {Record<Name, string>} */ (bundleDirs), runtimes: findRuntimes(options.runtimes, options.ocirt, work, log) }
}
