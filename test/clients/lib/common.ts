/**
 * What the client tests (containerd, podman) share: which runtime they drive,
 * THE switch for workloads that need cgroups, a command runner that captures
 * output through files, a test-owned cgroup parent, and the host checks that
 * prove nothing was left behind.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { basename, join } from 'node:path'
import { tmpdir } from 'node:os'
import { REPO } from '../../lib/ocirt.js'
import { cgroupMounts } from '../../../conformance/lib/cgroups.js'
import { ensureSubreaper, killAndReap, spawnTracked } from '../../../conformance/lib/reaper.js'

/** The runtime the clients are told to use: env CLIENT_RUNTIME (absolute path), default this checkout's dist/ocirt. */
export const CLIENT_RUNTIME = process.env.CLIENT_RUNTIME ?? join(REPO, 'dist', 'ocirt')

let versionLine: string | undefined
/** First line of `$CLIENT_RUNTIME --version`. */
export function runtimeVersion (): string {
  versionLine ??= (() => {
    try { return execFileSync(CLIENT_RUNTIME, ['--version'], { encoding: 'utf8', timeout: 5000 }).split('\n')[0] ?? '' } catch { return '' }
  })()
  return versionLine
}

export const runtimeIsOcirt = (): boolean => runtimeVersion().startsWith('ocirt version')

let ocirtCgroups: boolean | undefined
/** Does the ocirt under test manage cgroups v1 (this host's hierarchy)? Read from its `features` (features.md: linux.cgroup.v1). */
function ocirtManagesCgroups (): boolean {
  ocirtCgroups ??= (() => {
    try {
      const f = JSON.parse(execFileSync(CLIENT_RUNTIME, ['features'], { encoding: 'utf8', timeout: 5000 })) as { linux?: { cgroup?: { v1?: boolean } } }
      return f.linux?.cgroup?.v1 === true
    } catch { return false }
  })()
  return ocirtCgroups
}

/**
 * THE switch for workloads that need the runtime to apply cgroups (memory
 * and pids limits, pause/resume, update, and the cpu shares / pids limit
 * that containerd and podman put in every config by default).
 *
 * Returns false when the runtime under test can run them, else the reason to
 * mark them `todo`. ocirt says whether it manages cgroups in `ocirt
 * features` (linux.cgroup.v1); when that turns true, these workloads run in
 * full against ocirt with no change here. While it is false the tests also
 * ask the clients not to send the resources they send by default
 * (`ctr run --cpu-shares 0`, podman's `pids_limit = 0`), so that everything
 * else can run against ocirt meanwhile.
 */
export function needsCgroups (): string | false {
  if (!runtimeIsOcirt() || ocirtManagesCgroups()) return false
  return 'ocirt does not manage cgroups yet (`ocirt features`: linux.cgroup.v1 is false; issue 4)'
}

export interface CmdResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The command line, for messages. */
  cmd: string
}

export interface CmdOptions {
  input?: string
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Run under script(1): the command's stdio is a pty (for -t/--tty); stdout then holds the terminal's output. */
  tty?: boolean
}

/**
 * Run a client command with stdout/stderr going to files, not pipes: a
 * detached container's conmon or shim keeps the client's stdio open long
 * after the client exits, and a pipe would never see EOF. Never rejects on a
 * nonzero exit; kills the command and throws if it runs over the timeout.
 */
export async function runCmd (dir: string, file: string, args: string[], options: CmdOptions = {}): Promise<CmdResult> {
  ensureSubreaper()
  const io = mkdtempSync(join(dir, 'io-'))
  const outPath = join(io, 'out')
  const errPath = join(io, 'err')
  const outFd = openSync(outPath, 'a')
  const errFd = openSync(errPath, 'a')
  const cmdline = [file, ...args]
  const quoted = cmdline.map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  // script -e: exit with the command's status; -q: no banner; -c: the command.
  const [bin, argv] = options.tty === true ? ['/usr/bin/script', ['-qec', quoted, '/dev/null']] : [file, args]
  let child
  try {
    // cwd: the client's own dir. conmon writes files (an "oom" marker) into the directory it was started in.
    child = spawnTracked(bin, argv, { stdio: [options.input === undefined ? 'ignore' : 'pipe', outFd, errFd], env: options.env ?? process.env, cwd: dir })
  } finally {
    closeSync(outFd)
    closeSync(errFd)
  }
  if (options.input !== undefined) child.stdin?.end(options.input)
  child.stdin?.on('error', () => {})
  const timeoutMs = options.timeoutMs ?? 30_000
  const outcome = await new Promise<{ code: number | null, signal: NodeJS.Signals | null, timedOut: boolean }>((resolve, reject) => {
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, timeoutMs)
    child.once('error', err => { clearTimeout(timer); reject(err) })
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut }) })
  })
  const result = { code: outcome.code, signal: outcome.signal, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), cmd: cmdline.join(' ') }
  if (outcome.timedOut) throw new Error(`\`${result.cmd}\` did not exit within ${timeoutMs} ms; stderr: ${result.stderr}`)
  return result
}

/** The runtime's own `state` of a container (proof that the runtime under test made it), or undefined. */
export function runtimeState (id: string, root?: string): { status?: string } | undefined {
  try {
    return JSON.parse(execFileSync(CLIENT_RUNTIME, [...(root !== undefined ? ['--root', root] : []), 'state', id], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] })) as { status?: string }
  } catch { return undefined }
}

/** Throws unless the command exited 0. */
export function mustSucceed (r: CmdResult): CmdResult {
  if (r.code !== 0) throw new Error(`\`${r.cmd}\` exited ${r.code ?? r.signal}: ${r.stderr.trim()} ${r.stdout.trim()}`)
  return r
}

/** The busybox OCI image-layout tar both clients import (built once and cached by scripts/make-client-image.sh). */
export function clientImage (): string {
  return execFileSync('bash', [join(REPO, 'scripts', 'make-client-image.sh')], { encoding: 'utf8' }).trim()
}

/** Is `bin` on PATH and able to print its version? */
export function clientAvailable (bin: string, versionArgs = ['--version']): string | false {
  const r = spawnSync(bin, versionArgs, { encoding: 'utf8', timeout: 10_000 })
  if (r.error !== undefined) return `${bin} cannot run on this host: ${r.error.message} (scripts/install-deps.sh installs it)`
  if (r.status !== 0) return `${bin} ${versionArgs.join(' ')} exited ${r.status}: ${r.stderr}`
  return false
}

/** A fresh name for a test-owned cgroup parent at the hierarchy roots. */
export function newCgroupParent (client: string): string {
  return `/ocirt-test-${client}-${randomBytes(4).toString('hex')}`
}

/** Every cgroup dir at `parent` (absolute, from the hierarchy roots) in every hierarchy, deepest first. */
export function cgroupDirsUnder (parent: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    let entries: string[] = []
    try { entries = readdirSync(dir) } catch { return }
    for (const e of entries) {
      const p = join(dir, e)
      try { if (statSync(p).isDirectory()) walk(p) } catch {}
    }
    out.push(dir)
  }
  for (const m of cgroupMounts()) {
    const dir = join(m, parent)
    if (existsSync(dir)) walk(dir)
  }
  return out
}

/** rmdir every (empty) cgroup under `parent`; returns those that are still there (a process still in them). */
export function removeCgroupTree (parent: string): string[] {
  const left: string[] = []
  for (const d of cgroupDirsUnder(parent)) {
    try { rmdirSync(d) } catch { left.push(d) }
  }
  return left
}

/** pids of the processes in any cgroup under `parent`. */
export function processesUnder (parent: string): number[] {
  const pids = new Set<number>()
  for (const d of cgroupDirsUnder(parent)) {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p !== '') pids.add(Number(p))
    } catch {}
  }
  return [...pids]
}

/** Live (not zombie) processes whose program path ends in `program` and one of whose arguments starts with `argPrefix`. */
export function processesOf (program: string, argPrefix: string): number[] {
  const pids: number[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
      if (cmd[0]?.endsWith(program) === true && cmd.slice(1).some(a => a.startsWith(argPrefix))) pids.push(Number(p))
    } catch {}
  }
  return pids
}

/** Host mount table lines (mount point and after) that mention `path`. */
export function mountsUnder (path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => l.split(' ')[4]?.startsWith(path) === true)
}

/** Lazily unmount every mount under `path`, deepest first; returns what it had to unmount. */
export function unmountUnder (path: string): string[] {
  // proc(5) mountinfo: the mount point is field 5.
  const points = mountsUnder(path).flatMap(l => l.split(' ')[4] ?? []).sort((a, b) => b.length - a.length)
  for (const p of points) spawnSync('umount', ['-l', p])
  return points
}

/**
 * The end of a client's teardown: SIGKILL what is still running (the
 * client's helpers given, then anything in the cgroup parent), unmount what
 * is left under `base`, remove the cgroups and `base`. Appends to `problems`
 * what it had to clean up: a clean run leaves it empty.
 */
export function forceCleanup (base: string, cgroupParent: string, helpers: { name: string, pids: number[] }, problems: string[]): void {
  for (const pid of helpers.pids) {
    problems.push(`${helpers.name} ${pid} was still running`)
    try { process.kill(pid, 'SIGKILL') } catch {}
    void killAndReap(pid)
  }
  for (const pid of processesUnder(cgroupParent)) {
    problems.push(`process ${pid} was still in ${cgroupParent}`)
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  const unmounted = unmountUnder(base)
  if (unmounted.length > 0) problems.push(`mounts were left: ${unmounted.join(' ')}`)
  const left = removeCgroupTree(cgroupParent)
  if (left.length > 0) problems.push(`cgroups could not be removed: ${left.join(' ')}`)
  rmSync(base, { recursive: true, force: true })
}

/**
 * Clients that call the runtime without --root (podman, buildah) leave its
 * state in the runtime's default root (/run/ocirt, /run/runc). Containers
 * there whose bundle is under `base` (this client's) are deleted, and
 * reported: a clean run leaves none.
 */
export function deleteRuntimeLeftovers (base: string, problems: string[]): void {
  const root = `/run/${basename(CLIENT_RUNTIME)}`
  let ids: string[] = []
  try { ids = readdirSync(root) } catch { return }
  for (const id of ids) {
    let bundle = ''
    try {
      // ocirt's state.json has the bundle; runc's keeps it in a config label.
      const state = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as { bundle?: string, config?: { labels?: string[] } }
      bundle = state.bundle ?? state.config?.labels?.find(l => l.startsWith('bundle='))?.slice('bundle='.length) ?? ''
    } catch { continue }
    if (!bundle.startsWith(`${base}/`)) continue
    problems.push(`the runtime still had container ${id} in ${root}`)
    spawnSync(CLIENT_RUNTIME, ['delete', '--force', id], { stdio: 'ignore', timeout: 10_000 })
  }
}

/** The system-wide cache podman and buildah write whatever --root says (blob-info-cache-v1.boltdb). */
export const SYSTEM_IMAGE_CACHE = '/var/lib/containers'

/**
 * The end of a podman or buildah teardown: runtime state they left in the
 * runtime's default root, then forceCleanup with their helper processes
 * (conmon, buildah), then /var/lib/containers if the test made it.
 */
export function cleanupContainersClient (base: string, cgroupParent: string, helper: string, createdImageCache: boolean, problems: string[]): void {
  deleteRuntimeLeftovers(base, problems)
  forceCleanup(base, cgroupParent, { name: helper, pids: processesOf(helper, base) }, problems)
  if (createdImageCache) rmSync(SYSTEM_IMAGE_CACHE, { recursive: true, force: true })
}

/** SIGTERM a daemon the test started and wait for it to exit; false if it is still running. */
export async function terminateDaemon (daemon: ChildProcess, timeoutMs: number): Promise<boolean> {
  daemon.kill('SIGTERM')
  return await until(() => daemon.exitCode !== null || daemon.signalCode !== null, timeoutMs) === true
}

/**
 * The configuration the containers/common clients (podman, buildah) read,
 * private to `base` (in base/conf): CONTAINERS_CONF with `containersConf`,
 * vfs storage in base/root and base/runroot, no registries, and a
 * policy.json in $HOME/.config/containers (read before /etc/containers)
 * that accepts the unsigned local image. Returns the environment that
 * points the client at it.
 */
export function containersConfigEnv (base: string, containersConf: string): NodeJS.ProcessEnv {
  const conf = join(base, 'conf')
  mkdirSync(join(conf, 'home', '.config', 'containers'), { recursive: true })
  writeFileSync(join(conf, 'containers.conf'), containersConf)
  writeFileSync(join(conf, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${base}/root"\nrunroot = "${base}/runroot"\n`)
  writeFileSync(join(conf, 'registries.conf'), 'unqualified-search-registries = []\n')
  writeFileSync(join(conf, 'home', '.config', 'containers', 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}\n')
  return {
    ...process.env,
    HOME: join(conf, 'home'),
    CONTAINERS_CONF: join(conf, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(conf, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(conf, 'registries.conf'),
  }
}

/** A temp dir for one client's private state. */
export function clientTempDir (client: string): string {
  return mkdtempSync(join(tmpdir(), `ocirt-${client}-`))
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Poll until fn() is truthy; its value, or undefined at the deadline. */
export async function until<T> (fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) return undefined
    await sleep(stepMs)
  }
}

/** Shell snippets the workloads share. */
export const WORKLOAD = {
  /** Prints "trapped" and exits 7 on SIGTERM; otherwise runs forever. */
  catchTerm: 'trap "echo trapped; exit 7" TERM; echo ready; while :; do sleep 0.1; done',
  /** Ignores SIGTERM, so a stop must escalate to SIGKILL. */
  ignoreTerm: 'trap "" TERM; echo ready; while :; do sleep 0.1; done',
  /** Counts up in /tmp/count every 50 ms. */
  counter: 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done',
  /** Allocates and touches 64 MiB (dd's block buffer), more than a 32 MiB limit. */
  allocate64M: 'dd if=/dev/zero of=/dev/null bs=64M count=1 && echo survived',
  /** Tries to start 20 background processes; prints how many it could. */
  forkMany: 'n=0; for i in $(seq 20); do sleep 5 & [ $? -eq 0 ] && n=$((n+1)); done 2>/dev/null; echo started $n',
}

/** Bit n of a /proc/<pid>/status capability mask (hex) is set. */
export function hasCapability (statusLine: string, bit: number): boolean {
  const hex = statusLine.trim().split(/\s+/).pop() ?? '0'
  return (BigInt(`0x${hex}`) >> BigInt(bit) & 1n) === 1n
}
