/**
 * config.md "POSIX-platform Hooks" and the hook steps of runtime.md
 * "Lifecycle" (3, 4, 5, 7, 9, 13): each hook runs with the container's state
 * on its stdin, in the runtime's namespaces or the container's, in the
 * listed order. A failing hook fails the operation, except poststop, whose
 * failures are warnings.
 */
import { readFileSync, statSync, type Stats } from '../linux/io.js'
import { OcirtError } from '../errors.js'
import type { Logger } from '../log.js'
import { JOIN_ORDER_WITH_PID, NAMESPACE_FLAGS, PROC_NS_NAME } from '../linux/namespaces.js'
import { loadNative, type NamespaceJoin } from '../native.js'
import type { Hook, Hooks } from '../spec/types.js'
import type { Status } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { SPEC_VERSION } from '../version.js'

export type HookName = keyof Hooks

/** Hooks that run in the container's namespaces; the others run in the runtime's. */
const IN_CONTAINER: ReadonlySet<HookName> = new Set(['createContainer', 'startContainer'])

/** The pid of `pid` in its own (innermost) pid namespace, from /proc/PID/status NSpid. */
function pidInContainer (pid: number): number {
  const line = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  const ids = (line?.[1] ?? String(pid)).trim().split(/\s+/)
  return Number(ids[ids.length - 1])
}

function statNamespace (path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch (e) {
    // A kernel without that namespace type.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new OcirtError(`hook: ${path}: ${(e as Error).message}`)
  }
}

/**
 * The namespaces of process `pid` that differ from ocirt's, in join order.
 * Those it shares are left out: joining one's own user namespace is an
 * error, and joining the others is pointless.
 */
function namespacesToJoin (pid: number): NamespaceJoin[] {
  const joins: NamespaceJoin[] = []
  for (const type of JOIN_ORDER_WITH_PID) {
    const path = `/proc/${pid}/ns/${PROC_NS_NAME[type]}`
    const theirs = statNamespace(path)
    if (theirs === undefined) continue
    const ours = statNamespace(`/proc/self/ns/${PROC_NS_NAME[type]}`)
    if (ours !== undefined && ours.ino === theirs.ino && ours.dev === theirs.dev) continue
    // JOIN_ORDER_WITH_PID lists only types that NAMESPACE_FLAGS has (namespaces.ts).
    joins.push({ type: NAMESPACE_FLAGS[type]!, path })
  }
  return joins
}

/**
 * The working directory runc 1.1.5 gives each kind of hook (measured): the
 * bundle for the runtime-namespace hooks of create and start (runc chdirs
 * there), the rootfs for createContainer (runc's init runs it from the
 * rootfs before pivot_root, so a relative path the hook writes lands in the
 * container, never on the host's /), process.cwd for startContainer (in the
 * container, after pivot_root); poststop keeps the caller's, as `runc delete`.
 */
function hookCwd (name: HookName, state: StoredState): string {
  switch (name) {
    case 'prestart': case 'createRuntime': case 'poststart': return state.bundle
    case 'createContainer': return state.rootfs
    case 'startContainer': return state.config.process?.cwd ?? '/'
    default: return ''
  }
}

function describe (name: HookName, index: number, hook: Hook): string {
  return `hooks.${name}[${index}] (${hook.path})`
}

/**
 * Runs the `name` hooks of the container in order; throws on the first that
 * fails, or with `warnOnly`, logs each failure and goes on.
 */
export function runHooks (name: HookName, state: StoredState, status: Status, log: Logger, warnOnly = false): void {
  const hooks = state.config.hooks?.[name] ?? []
  if (hooks.length === 0) return
  const inContainer = IN_CONTAINER.has(name)
  // runtime.md "State": pid as seen by the runtime, or by the container for hooks run in its namespaces.
  const pid = status === 'stopped' ? undefined : inContainer ? pidInContainer(state.pid) : state.pid
  const stdin = JSON.stringify({
    ociVersion: SPEC_VERSION,
    id: state.id,
    status,
    ...(pid !== undefined ? { pid } : {}),
    bundle: state.bundle,
    ...(state.annotations !== undefined ? { annotations: state.annotations } : {}),
  })
  const namespaces = inContainer ? namespacesToJoin(state.pid) : []
  const native = loadNative()
  hooks.forEach((hook, i) => {
    const r = native.runHook({
      path: hook.path,
      // execv semantics: args[0] is argv[0]; without args, the path.
      args: hook.args !== undefined && hook.args.length > 0 ? hook.args : [hook.path],
      env: hook.env ?? [],
      stdin,
      timeoutMs: (hook.timeout ?? 0) * 1000,
      namespaces,
      cwd: hookCwd(name, state),
    })
    if (r.status === 0 && !r.timedOut) return
    const why = r.timedOut
      ? `did not finish within its timeout of ${hook.timeout ?? 0}s and was killed`
      : r.signal !== null ? `was killed by signal ${r.signal}` : `exited with status ${r.status ?? '?'}`
    const output = r.output.trim()
    const message = `${describe(name, i, hook)} ${why}${output !== '' ? `: ${output}` : ''}`
    if (!warnOnly) throw new OcirtError(message)
    log.warn(message)
  })
}
