/**
 * A typed wrapper around a runc-compatible runtime CLI.
 *
 * Every Runtime has its own `--root` under a fresh temp dir, so the host's
 * /run/runc (or /run/crun) is never touched. Every invocation is bounded by a
 * timeout: a hanging runtime is killed and the call throws RuntimeTimeout,
 * failing the test instead of hanging the suite. Every container id passed to
 * `create`/`run` is tracked, and `cleanup()` force-deletes them all, kills
 * whatever container process is still around, and removes the temp dirs.
 *
 * The runtime's stdout/stderr go to files, not pipes: with `terminal: false`
 * the container process inherits the runtime's stdio, and a pipe would stay
 * open (and the call hang) for as long as the container lives. The files stay
 * readable after the call, so the output a container writes later (after
 * `start`) lands in its `create` call's stdout file.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, readdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { removeLeftoverCgroups } from './cgroups.js'
import { atExit } from './exit.js'
import { ensureSubreaper, inheritedChildren, isAlive, isOurChild, killAndReap, reapOrphans, spawnTracked } from './reaper.js'

export const DEFAULT_RUNTIME = '/usr/sbin/runc'

/** The runtime under test: env RUNTIME (an absolute path), default /usr/sbin/runc. */
export function runtimePath (): string {
  return process.env.RUNTIME ?? DEFAULT_RUNTIME
}

export interface RunOptions {
  /** Text for the runtime's stdin; without it stdin is /dev/null. */
  input?: string
  /** Kill the runtime and throw RuntimeTimeout after this long. Default 10 s. */
  timeoutMs?: number
  /** Working directory of the runtime process. */
  cwd?: string
  /** Do not prepend `--root <root>`. */
  noRoot?: boolean
}

export interface RunResult {
  args: string[]
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** File that received the runtime's (and, for create/run, the container's) stdout. */
  stdoutPath: string
  stderrPath: string
}

export interface ContainerState {
  ociVersion: string
  id: string
  status: string
  pid?: number
  bundle: string
  annotations?: Record<string, string>
  [key: string]: unknown
}

export class RuntimeTimeout extends Error {
  override name = 'RuntimeTimeout'
}

export class RuntimeError extends Error {
  override name = 'RuntimeError'
  constructor (readonly result: RunResult) {
    super(`${result.args.join(' ')} exited ${result.code ?? result.signal}: ${result.stderr.trim()}`)
  }
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Environment for the runtime: ours minus node/tap variables that would leak into a node-based runtime. */
function runtimeEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE' || k.startsWith('TAP') || k.startsWith('_TAPJS')) continue
    env[k] = v
  }
  return env
}

export class Runtime {
  /** Container ids passed to create/run, in order. */
  readonly ids = new Set<string>()
  /** Container pids seen in `state`, by id. */
  readonly pids = new Map<string, Set<number>>()
  /** Cgroup paths (relative) each container may have got: its id, and config's cgroupsPath. */
  private readonly cgroupPaths = new Map<string, Set<string>>()
  private seq = 0
  private version: string | undefined

  private constructor (readonly binary: string, readonly base: string, readonly root: string, readonly io: string) {}

  /** A runtime with a private --root under a fresh temp dir. Makes this process a child subreaper. */
  static async open (binary: string = runtimePath()): Promise<Runtime> {
    if (!binary.startsWith('/')) throw new Error(`RUNTIME must be an absolute path, got ${binary}`)
    if (!existsSync(binary)) throw new Error(`RUNTIME ${binary} does not exist`)
    ensureSubreaper()
    const base = mkdtempSync(join(tmpdir(), 'ocirt-conformance-rt-'))
    const root = join(base, 'root')
    const io = join(base, 'io')
    mkdirSync(root, { mode: 0o700 })
    mkdirSync(io)
    const rt = new Runtime(binary, base, root, io)
    liveRuntimes.set(base, rt)
    return rt
  }

  /** Remember a container id, and the cgroup paths it may get, for cleanup(). */
  private track (id: string, args: string[], cwd: string | undefined): void {
    this.ids.add(id)
    const paths = this.cgroupPaths.get(id) ?? new Set<string>(id === '' || id.includes('/') ? [] : [id])
    const i = args.findIndex(a => a === '--bundle' || a === '-b')
    const bundle = i >= 0 ? args[i + 1] : undefined
    try {
      const config = JSON.parse(readFileSync(resolve(cwd ?? process.cwd(), bundle ?? '.', 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: unknown } }
      const p = config.linux?.cgroupsPath
      if (typeof p === 'string' && !p.includes(':')) paths.add(p)
    } catch {}
    this.cgroupPaths.set(id, paths)
  }

  /** A fresh container id: prefix + random hex. */
  newId (prefix = 'conf'): string {
    return `${prefix}-${randomBytes(5).toString('hex')}`
  }

  /** First line of `<runtime> --version` (e.g. "runc version 1.1.5+ds1"). */
  versionLine (): string {
    if (this.version === undefined) {
      try {
        this.version = execFileSync(this.binary, ['--version'], { encoding: 'utf8', timeout: 5000, env: runtimeEnv() }).split('\n')[0] ?? ''
      } catch {
        this.version = ''
      }
    }
    return this.version
  }

  /** Is the runtime under test (by its --version) the named implementation? */
  is (name: 'runc' | 'crun'): boolean {
    return this.versionLine().startsWith(`${name} version`)
  }

  /**
   * Run `<runtime> --root <root> ...args`. Resolves with the exit code; never
   * rejects on a nonzero exit. Throws RuntimeTimeout if it runs too long.
   */
  async run (args: string[], options: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? 10_000
    const full = options.noRoot === true ? [...args] : ['--root', this.root, ...args]
    const cmd = args.find(a => !a.startsWith('-'))
    if ((cmd === 'create' || cmd === 'run') && args.length > 1) {
      const id = args[args.length - 1]
      if (id !== undefined && !id.startsWith('-')) this.track(id, args, options.cwd)
    }
    const n = ++this.seq
    const stdoutPath = join(this.io, `${n}.out`)
    const stderrPath = join(this.io, `${n}.err`)
    // O_APPEND: container processes may write through several open file
    // descriptions of the same file (e.g. /dev/stdout reopened); appends never overwrite.
    const outFd = openSync(stdoutPath, 'a')
    const errFd = openSync(stderrPath, 'a')
    let child
    try {
      child = spawnTracked(this.binary, full, {
        stdio: [options.input === undefined ? 'ignore' : 'pipe', outFd, errFd],
        cwd: options.cwd,
        env: runtimeEnv()
      })
    } finally {
      closeSync(outFd)
      closeSync(errFd)
    }
    if (options.input !== undefined) child.stdin?.end(options.input)
    child.stdin?.on('error', () => {})
    const outcome = await new Promise<{ code: number | null, signal: NodeJS.Signals | null, timedOut: boolean }>((resolve, reject) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs)
      child.once('error', err => { clearTimeout(timer); reject(err) })
      child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut }) })
    })
    const result: RunResult = {
      args: [this.binary, ...full],
      code: outcome.code,
      signal: outcome.signal,
      stdout: readFileSync(stdoutPath, 'utf8'),
      stderr: readFileSync(stderrPath, 'utf8'),
      stdoutPath,
      stderrPath
    }
    if (outcome.timedOut) {
      throw new RuntimeTimeout(`runtime hung: \`${args.join(' ')}\` did not exit within ${timeoutMs} ms and was killed; stderr: ${result.stderr.trim()}`)
    }
    return result
  }

  /** Like run(), but throws RuntimeError unless the exit code is 0. */
  async ok (args: string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(args, options)
    if (r.code !== 0) throw new RuntimeError(r)
    return r
  }

  async create (id: string, bundle: string, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(['create', '--bundle', bundle, id], options)
  }

  async start (id: string, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(['start', id], options)
  }

  async kill (id: string, signal?: string, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(signal === undefined ? ['kill', id] : ['kill', id, signal], options)
  }

  async delete (id: string, force = false, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(force ? ['delete', '--force', id] : ['delete', id], options)
  }

  /** `run --bundle B ID` in the foreground: resolves when the container exits. */
  async runContainer (id: string, bundle: string, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(['run', '--bundle', bundle, id], options)
  }

  /** Raw `state ID` result. */
  async stateResult (id: string, options: RunOptions = {}): Promise<RunResult> {
    return await this.run(['state', id], options)
  }

  /** Parsed `state ID`; throws RuntimeError if the runtime fails. Records the pid for cleanup. */
  async state (id: string, options: RunOptions = {}): Promise<ContainerState> {
    const r = await this.ok(['state', id], options)
    let s: ContainerState
    try {
      s = JSON.parse(r.stdout) as ContainerState
    } catch (err) {
      throw new Error(`state ${id}: stdout is not JSON: ${JSON.stringify(r.stdout)}`)
    }
    if (typeof s.pid === 'number' && s.pid > 0) {
      const set = this.pids.get(id) ?? new Set<number>()
      set.add(s.pid)
      this.pids.set(id, set)
    }
    return s
  }

  /** Container ids from `list -q`. */
  async list (): Promise<string[]> {
    const r = await this.ok(['list', '-q'])
    return r.stdout.split('\n').map(l => l.trim()).filter(Boolean)
  }

  /** Poll `state` until status is `status`. Throws with the last state on timeout. */
  async waitStatus (id: string, status: string, timeoutMs = 5000): Promise<ContainerState> {
    const deadline = Date.now() + timeoutMs
    let last: ContainerState | undefined
    while (true) {
      reapOrphans()
      last = await this.state(id)
      if (last.status === status) return last
      if (Date.now() > deadline) throw new Error(`container ${id} did not reach status ${status} within ${timeoutMs} ms; last state: ${JSON.stringify(last)}`)
      await sleep(20)
    }
  }

  /**
   * Force-delete every container this Runtime created, kill any container
   * process still alive (only if it is our child: we are its subreaper),
   * rmdir empty cgroups the runtime left behind (e.g. when it was killed
   * mid-create), and remove the temp root. Safe to call twice. Returns the
   * cgroup dirs it had to remove.
   */
  async cleanup (): Promise<{ removedCgroups: string[] }> {
    const errors: string[] = []
    for (const id of this.ids) {
      try {
        const r = await this.stateResult(id, { timeoutMs: 5000 })
        if (r.code === 0) {
          const s = JSON.parse(r.stdout) as ContainerState
          if (typeof s.pid === 'number' && s.pid > 0) {
            const set = this.pids.get(id) ?? new Set<number>()
            set.add(s.pid)
            this.pids.set(id, set)
          }
        }
      } catch {}
      try {
        await this.run(['delete', '--force', id], { timeoutMs: 10_000 })
      } catch (err) {
        errors.push(String(err))
      }
    }
    for (const [, pids] of this.pids) {
      for (const pid of pids) {
        if (isOurChild(pid)) await killAndReap(pid)
      }
    }
    reapOrphans()
    const removedCgroups = removeLeftoverCgroups(this.leftoverCgroupCandidates())
    if (existsSync(this.base)) rmSync(this.base, { recursive: true, force: true })
    liveRuntimes.delete(this.base)
    this.ids.clear()
    this.cgroupPaths.clear()
    if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`)
    return { removedCgroups }
  }

  /** Cgroup paths (relative) this Runtime's containers may have got. */
  leftoverCgroupCandidates (): string[] {
    return [...this.cgroupPaths.values()].flatMap(s => [...s])
  }

  /** Entries of the --root dir (runtime-specific layout; used to spot leftovers). */
  rootEntries (): string[] {
    return existsSync(this.root) ? readdirSync(this.root) : []
  }
}

const liveRuntimes = new Map<string, Runtime>()
// Safety net for a test that skipped cleanup() or a process killed mid-test: synchronous force-deletes.
atExit('containers', () => {
  for (const [, rt] of liveRuntimes) {
    for (const id of rt.ids) {
      spawnSync(rt.binary, ['--root', rt.root, 'delete', '--force', id], { stdio: 'ignore', timeout: 5000, env: runtimeEnv() })
    }
  }
})
atExit('files', () => {
  for (const [base, rt] of liveRuntimes) {
    removeLeftoverCgroups(rt.leftoverCgroupCandidates())
    rmSync(base, { recursive: true, force: true })
  }
})

export { inheritedChildren, isAlive, isOurChild, killAndReap, reapOrphans }
