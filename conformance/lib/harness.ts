/**
 * Glue between tap tests and the bundle/runtime helpers: one fresh Runtime
 * (private --root) and bundle per test, cleaned up in t.teardown even when the
 * test fails; host snapshots for "nothing was left behind" assertions; polling
 * helpers with hard deadlines; and the known-deviation table.
 */
import type { Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { makeBundle, type Bundle, type BundleOptions, type OciSpec } from './bundle.js'
import { Runtime, runtimePath } from './runtime.js'
import { inheritedChildren, isAlive, reapOrphans } from './reaper.js'
import { cgroupDirsFor } from './cgroups.js'

/** A tap test (the `t` of a `t.test` callback). */
export type TapLike = Test

export interface Fixture {
  rt: Runtime
  bundle: Bundle
  id: string
}

/** A Runtime with its own --root, torn down (force-deleting its containers) after the test. */
export async function openRuntime (t: TapLike): Promise<Runtime> {
  const rt = await Runtime.open()
  t.teardown(async () => {
    const { removedCgroups } = await rt.cleanup()
    // The runtime's own delete should have removed these; say so rather than hide it.
    if (removedCgroups.length > 0) console.error(`# conformance cleanup removed cgroups the runtime left behind: ${removedCgroups.join(' ')}`)
  })
  return rt
}

/** A bundle removed after the test. */
export function bundleFor (t: TapLike, configure?: (spec: OciSpec) => void, options?: BundleOptions): Bundle {
  const b = makeBundle(configure, options)
  t.teardown(() => { b.cleanup() })
  return b
}

/** Runtime + bundle (with the /shared bind mount unless told otherwise) + a fresh id. */
export async function setup (t: TapLike, configure?: (spec: OciSpec) => void, options: BundleOptions = { shared: true }): Promise<Fixture> {
  const rt = await openRuntime(t)
  const bundle = bundleFor(t, configure, options)
  return { rt, bundle, id: rt.newId() }
}

/** Set process.args (the template has a process). */
export function args (...argv: string[]): (spec: OciSpec) => void {
  return spec => { if (spec.process !== undefined) spec.process.args = argv }
}

/** `sh -c script`. */
export function shell (script: string): (spec: OciSpec) => void {
  return args('sh', '-c', script)
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Poll `fn` until it returns something other than undefined/false; undefined on timeout. */
export async function waitFor<T> (fn: () => T | undefined | false, timeoutMs = 5000, stepMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) return undefined
    await sleep(stepMs)
  }
}

/**
 * Wait for a host file to exist with complete content and return it;
 * undefined on timeout. "Complete" is `done(content)`, by default: non-empty
 * and ending in a newline (a shell's `echo x > f` creates the file before it
 * writes to it).
 */
export async function waitForFile (path: string, timeoutMs = 5000, done: (content: string) => boolean = c => c.endsWith('\n')): Promise<string | undefined> {
  return await waitFor(() => {
    if (!existsSync(path)) return undefined
    const c = readFileSync(path, 'utf8')
    return done(c) ? c : undefined
  }, timeoutMs)
}

/** A container script waits for this file before going on (host creates bundle.shared/go). */
export const WAIT_GO = 'while [ ! -e /shared/go ]; do sleep 0.02; done'

// ---------------------------------------------------------------------------
// Host snapshots: "generating an error MUST leave the state of the environment
// as if the operation were never attempted".

export interface HostSnapshot {
  mountinfo: Set<string>
  children: Set<number>
}

/**
 * Host mounts that test fixtures make on purpose while other test files run
 * beside them (tap runs two at a time): the idmap tests' source trees with
 * submounts, and test/engine-rootfs.test.ts's shared mounts with what
 * propagates into them. A runtime's leak lands under a bundle or a state
 * dir, never here.
 */
export const FIXTURE_MOUNT_PREFIXES = ['/tmp/ocirt-idmap-', '/tmp/ocirt-propagation-']

const isFixtureMount = (line: string): boolean => {
  const mountPoint = line.split(' ')[4] ?? ''
  return FIXTURE_MOUNT_PREFIXES.some(p => mountPoint.startsWith(p))
}

function mountLines (): Set<string> {
  // Drop mount id / parent id: fields 3.. identify the mount.
  return new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => l !== '' && !isFixtureMount(l)).map(l => l.split(' ').slice(2).join(' ')))
}

export function snapshotHost (): HostSnapshot {
  reapOrphans()
  return { mountinfo: mountLines(), children: new Set(inheritedChildren().filter(isAlive)) }
}

export { cgroupMounts, cgroupDirsFor, containerCgroupDirs, TEST_CGROUP_PARENT } from './cgroups.js'

/**
 * Assert that container `id` does not exist and that the host looks as it did
 * in `before`: `state` fails, `list` does not show it, no new process was
 * left behind, no mount was added or removed in our mount namespace, and (if
 * given) no cgroup dir exists at `cgroupPath`.
 */
export async function assertNothingLeft (t: TapLike, rt: Runtime, id: string, before: HostSnapshot, cgroupPath?: string): Promise<void> {
  const st = await rt.stateResult(id)
  t.not(st.code, 0, `state ${id} fails: the container does not exist`)
  const ids = await rt.list()
  t.notOk(ids.includes(id), `list does not show ${id}`, { list: ids })
  // Anything the runtime forked and left running was re-parented to us.
  await waitFor(() => { reapOrphans(); return inheritedChildren().filter(p => isAlive(p) && !before.children.has(p)).length === 0 }, 1000)
  const left = inheritedChildren().filter(p => isAlive(p) && !before.children.has(p))
  t.same(left, [], 'no process left behind', { cmdlines: left.map(p => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8') } catch { return '?' } }) })
  const now = mountLines()
  const added = [...now].filter(l => !before.mountinfo.has(l))
  const removed = [...before.mountinfo].filter(l => !now.has(l))
  t.same({ added, removed }, { added: [], removed: [] }, 'host mount table unchanged')
  if (cgroupPath !== undefined) t.same(cgroupDirsFor(cgroupPath), [], `no cgroup left at ${cgroupPath}`)
}

// ---------------------------------------------------------------------------
// Known deviations (see conformance/deviations.md). A test for a clause that
// runc (or crun) is known to violate keeps the SPEC's expectation. When the
// runtime under test is that implementation, the test still runs in full but
// its assertions are marked `todo`: a failure shows up as `not ok ... # TODO
// known runc deviation (...)` and does not fail the suite. Against any other
// runtime (ocirt) the assertions are strict.

/** A clause some implementation is known to violate: what it does instead, per implementation. */
export interface Deviation { clause: string, runc?: string, crun?: string }

/**
 * Keep in sync with conformance/deviations.md. Tests wrap their `t` with
 * expectDeviation(t, key) for these. (delete-created is not here: clients rely
 * on runc's behaviour, so that test accepts both outcomes.)
 */
export const DEVIATIONS: Record<string, Deviation> = {
  'duplicate-rlimits': {
    clause: 'config.md#configPOSIXProcess: duplicated rlimits types MUST generate an error',
    runc: 'runc 1.1.5 accepts them (the last entry wins)',
    crun: 'crun 1.8.1 accepts them'
  },
  'duplicate-namespaces': {
    clause: 'config-linux.md#configLinuxNamespaces: duplicated namespace types MUST generate an error',
    crun: 'crun 1.8.1 accepts them'
  },
  'domainname-ignored': {
    clause: 'config.md#configDomainname / runtime.md#runtimeCreate: every configured property MUST be applied, or create MUST fail',
    runc: 'runc 1.1.5 does not know `domainname` and silently ignores it'
  },
  'poststart-at-create': {
    clause: 'config.md#configHooksPoststart: poststart hooks MUST run after the user process is executed, as part of start',
    runc: 'runc 1.1.5 runs poststart hooks at the end of create (so a failing poststart hook fails create)'
  },
  'poststart-before-exec': {
    clause: 'config.md#configHooksPoststart: poststart hooks MUST be called after the user-specified process is executed',
    crun: 'crun 1.8.1 start runs poststart without waiting for the container to exec the program: it can run while startContainer still runs (racy)'
  },
  'poststart-failure-ignored': {
    clause: 'runtime.md#runtimeLifecycle step 9: a failing poststart hook MUST generate an error and stop the container',
    crun: 'crun 1.8.1 start exits 0 and the container keeps running'
  },
  'startcontainer-failure-unreported': {
    clause: 'runtime.md#runtimeLifecycle step 7: a failing startContainer hook MUST make start generate an error',
    runc: 'runc 1.1.5 start exits 0 (the program does not run; the container ends up stopped)',
    crun: 'crun 1.8.1 start exits 0 (the program does not run)'
  },
  'poststop-failure-skips-rest': {
    clause: 'runtime.md#runtimeLifecycle step 13: after a failing poststop hook the remaining hooks MUST still run',
    runc: 'runc 1.1.5 logs the failure, and skips the remaining poststop hooks'
  },
  'hook-stdin-sigpipe': {
    clause: 'config.md#configHooks: the state is passed on stdin; a hook that exits 0 without reading it has succeeded',
    crun: 'crun 1.8.1 dies of SIGPIPE when a hook exits before reading a state larger than the pipe buffer'
  },
  'failed-create-no-poststop': {
    clause: 'runtime.md#runtimeLifecycle steps 4, 12, 13: after a failing createRuntime hook the container is destroyed and poststop hooks MUST run',
    crun: 'crun 1.8.1 does not run the poststop hooks'
  },
  'container-hook-state': {
    clause: 'config.md#configHooks + runtime.md#runtimeState: hooks get the state on stdin; in the container namespace pid is as seen by the container; status is one of the schema values',
    crun: 'crun 1.8.1 gives createContainer/startContainer hooks pid 0, and startContainer status "starting" and bundle "/"'
  },
  'seccomp-listener-kept-open': {
    clause: 'config-linux.md#seccomp listenerPath: the connection MUST be closed after sending a seccomp state',
    runc: 'runc 1.1.5 closes only its dup of the connection: the agent sees no EOF until runc exits (runc run: when the container exits)'
  },
  'process-attributes-ignored': {
    clause: 'runtime.md#runtimeCreate: a property the runtime cannot apply MUST make create fail (config-linux.md personality; config.md scheduler, ioPriority, execCPUAffinity)',
    runc: 'runc 1.1.5 does not know linux.personality, process.scheduler, process.ioPriority or process.execCPUAffinity and silently ignores them'
  },
  'idmap-ignored': {
    clause: 'config.md#linux-mount-options idmap/ridmap: the mount MUST have an idmapping applied (else an error)',
    runc: 'runc 1.1.5 does not know idmap/ridmap (runc 1.2 does): the bind mount is made without a mapping and create succeeds'
  },
  'cgroupspath-dotdot': {
    clause: 'config-linux.md#configLinuxCgroupsPath: runtimes MAY consider cgroupsPath values invalid and MUST then generate an error; ".." components climb out of the path',
    runc: 'runc 1.1.5 cleans the path lexically and creates the container wherever ".." leads (within the hierarchy)'
  },
  'hook-status-creating': {
    clause: 'runtime.md#runtimeState: `creating` is lifecycle step 2 only; prestart, createRuntime and createContainer hooks run after it (steps 3-5) and get `created`',
    runc: 'runc 1.1.5 sends status "creating" to prestart, createRuntime and createContainer hooks'
  },
  'inherited-mount-namespace-leaks': {
    clause: 'config-linux.md#configLinuxNamespaces: a type missing from namespaces MUST inherit the runtime namespace; runtime.md: the environment is left as it was',
    runc: 'runc 1.1.5 sets the rootfs up in the runtime\'s own mount namespace: "/" made rslave, the rootfs bind and every mount left there after delete',
    crun: 'crun 1.8.1 mounts /proc, /dev, /sys, ... under the rootfs in the runtime\'s namespace and leaves them after delete; exec does not enter the container\'s root'
  },
  'kill-invalid-signal': {
    clause: 'runtime.md#runtimeKill + #runtimeErrors: an unknown signal name MUST generate an error',
    crun: 'crun 1.8.1 exits 0 for unknown signal names (NOSUCHSIGNAL, SIGFOO)'
  }
}

/**
 * Features ocirt does not implement yet, with the issue that will. Against
 * ocirt their tests are skipped (ocirt refuses such configs with an error
 * naming the feature, rather than running without it); against any other
 * runtime they run in full. Remove an entry when its issue lands.
 */
export const NOT_YET_IN_OCIRT: Record<string, string> = {}

/** A skip reason if the runtime under test is ocirt and does not implement `feature` yet, else false. */
export function notYetInOcirt (feature: keyof typeof NOT_YET_IN_OCIRT): string | false {
  const what = NOT_YET_IN_OCIRT[feature]
  return implementation() === 'ocirt' && what !== undefined ? `ocirt does not implement ${what} yet` : false
}

let versionLine: string | undefined
/** First line of `$RUNTIME --version`, computed once. */
export function runtimeVersionLine (): string {
  if (versionLine === undefined) {
    try {
      versionLine = execFileSync(runtimePath(), ['--version'], { encoding: 'utf8', timeout: 5000 }).split('\n')[0] ?? ''
    } catch {
      versionLine = ''
    }
  }
  return versionLine
}

/** Which known implementation the runtime under test is, by its --version. */
export function implementation (): 'runc' | 'crun' | 'ocirt' | 'other' {
  const v = runtimeVersionLine()
  if (v.startsWith('runc version')) return 'runc'
  if (v.startsWith('crun version')) return 'crun'
  if (v.startsWith('ocirt version')) return 'ocirt'
  return 'other'
}

/** The todo reason if the runtime under test is known to deviate on `key`, else false. */
export function knownDeviation (key: string): string | false {
  const d = DEVIATIONS[key]
  if (d === undefined) throw new Error(`unknown deviation ${key}`)
  const impl = implementation()
  const what = impl === 'runc' || impl === 'crun' ? d[impl] : undefined
  return what === undefined ? false : `known ${impl} deviation ${key}: ${what}`
}

/** Assertions whose (message, extra) follow one value, and those that follow two. */
const ONE_ARG = new Set(['ok', 'notOk', 'error', 'resolves', 'rejects'])
const TWO_ARG = new Set(['equal', 'not', 'same', 'notSame', 'strictSame', 'strictNotSame', 'match', 'notMatch', 'type', 'has', 'hasStrict', 'notHas', 'matchOnly'])

/**
 * `t`, or — if the runtime under test is known to deviate on `key` — a view
 * of `t` whose assertions all carry `{ todo: reason }`.
 */
export function expectDeviation<T extends TapLike> (t: T, key: string): T {
  const reason = knownDeviation(key)
  if (reason === false) return t
  t.comment(reason)
  return new Proxy(t, {
    get (target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      const fn = value as (...a: unknown[]) => unknown
      const name = String(prop)
      const at = ONE_ARG.has(name) ? 1 : TWO_ARG.has(name) ? 2 : name === 'pass' || name === 'fail' ? 0 : -1
      if (at < 0) return fn.bind(target)
      return (...a: unknown[]) => {
        const msg = a[at]
        const extra = (a[at + 1] ?? {}) as Record<string, unknown>
        const args = a.slice(0, at)
        args.push(msg, { ...extra, todo: reason })
        return fn.apply(target, args)
      }
    }
  })
}
