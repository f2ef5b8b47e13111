/** ocirt exec: see container/exec.ts. Flags override the container's process, as with runc. */
import { readDocument } from '../container/document.js'
import type { execFlags } from '../cli/flags-exec.js'
import type { CommandContext } from '../cli/types.js'
import { execProcess } from '../container/exec.js'
import { findContainer } from '../container/lookup.js'
import { UsageError } from '../errors.js'
import { SIGNALS } from '../linux/constants.js'
import { loadNative } from '../native.js'
import type { Process } from '../spec/types.js'
import { parseProcess } from '../spec/validate.js'
import { preserveFdsFlag } from './flags.js'
import { FORWARDED_SIGNALS } from './run.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { execFlags as flags } from '../cli/flags-exec.js'
export { support } from '../cli/support.js'

/** The process from the command line: the container's process with args and the flags' overrides. */
/** exec's flags and its arguments: the container and the command line to run. */
type ExecContext = CommandContext<typeof execFlags, [id: string, ...command: string[]]>

function processFromFlags (ctx: ExecContext, base: Process): Process {
  const args = ctx.args.slice(1)
  if (args.length === 0) throw new UsageError('"exec" needs a command to run, or --process FILE')
  const p: Process = structuredClone(base)
  p.args = args
  p.terminal = ctx.flags.tty
  p.env = [...(p.env ?? []), ...ctx.flags.env]
  if (ctx.flags.cwd !== undefined) p.cwd = ctx.flags.cwd
  if (ctx.flags.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(ctx.flags.user)
    if (m === null) throw new UsageError(`flag --user takes UID[:GID] (numbers), not "${ctx.flags.user}"`)
    p.user = { ...p.user, uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : 0 }
  }
  const gids = ctx.flags['additional-gids']
  if (gids.length > 0) {
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: gids.map(g => {
      if (!/^\d+$/.test(g)) throw new UsageError(`flag --additional-gids takes a number, not "${g}"`)
      return Number(g)
    }) }
  }
  const caps = ctx.flags.cap
  if (caps.length > 0) {
    const c = p.capabilities ?? {}
    // As runc: added to bounding, effective and permitted, and ambient only where inheritable is set.
    p.capabilities = {
      ...c,
      bounding: [...(c.bounding ?? []), ...caps],
      effective: [...(c.effective ?? []), ...caps],
      permitted: [...(c.permitted ?? []), ...caps],
      ...(c.inheritable !== undefined ? { ambient: [...(c.ambient ?? []), ...caps] } : {}),
    }
  }
  if (ctx.flags['no-new-privs']) p.noNewPrivileges = true
  // As runc 1.1.5's exec: the flags set the process's labels; planExecLabel applies them as it does a --process file's.
  if (ctx.flags.apparmor !== undefined && ctx.flags.apparmor !== '') p.apparmorProfile = ctx.flags.apparmor
  if (ctx.flags['process-label'] !== undefined && ctx.flags['process-label'] !== '') p.selinuxLabel = ctx.flags['process-label']
  return p
}

export async function run (ctx: ExecContext): Promise<number> {
  const id = ctx.args[0]
  let proc: Process
  if (ctx.flags.process !== undefined) {
    if (ctx.args.length > 1) throw new UsageError('"exec" takes either --process FILE or a command, not both')
    proc = parseProcess(readDocument(ctx.flags.process, 'exec --process'), ctx.flags.process)
  } else {
    const base = findContainer(ctx.globals.root, id).state.config.process
    if (base === undefined) throw new UsageError('the container has no process to start from: use --process FILE')
    proc = processFromFlags(ctx, base)
  }
  // The process may be born of a child that exits at once (rootless: it forks
  // into the container's pid namespace): as a subreaper we still get it.
  if (!ctx.flags.detach) loadNative().setChildSubreaper()
  const consoleSocket = ctx.flags['console-socket']
  // As runc exec -t in the foreground without --console-socket (and as `run`):
  // ocirt takes the pty master itself and copies between it and its stdio.
  // Loaded only then: its output stream is node:fs's, whose first use costs 2.6 M instructions (issue 11).
  const proxy = !ctx.flags.detach && consoleSocket === undefined && proc.terminal === true
    ? new (await import('../container/terminal-proxy.js')).TerminalProxy()
    : undefined
  // The handlers go in before the process starts, as runc's (runner.run in
  // utils_linux.go makes its signal handler first): a signal sent to ocirt
  // once the process runs, but before execProcess returns, is kept and passed
  // on when the pid is known, instead of killing ocirt with its default action.
  const forwarder = ctx.flags.detach ? undefined : forwardSignals()
  let pid: number
  try {
    pid = execProcess({
      root: ctx.globals.root,
      id,
      process: proc,
      pidFile: ctx.flags['pid-file'],
      preserveFds: preserveFdsFlag(ctx.flags['preserve-fds']),
      noNewKeyring: false,
      consoleSocket: proxy?.socketPath ?? consoleSocket,
      log: ctx.log,
    })
    proxy?.attach()
  } catch (e) {
    proxy?.close()
    throw e
  }
  if (ctx.flags.detach) return 0
  // The process runs: its warnings need not wait until it exits.
  ctx.log.flushWarnings()
  const native = loadNative()
  const exited = native.waitPidAsync(pid)
  // The process is our child: its pid cannot be recycled before we reap it.
  forwarder?.to(pid)
  const result = await exited
  await proxy?.finish()
  return result.status ?? 128 + (result.signal ?? 0)
}

/** Forwards FORWARDED_SIGNALS to a process whose pid is given later; those that arrive before are sent then, in order. */
function forwardSignals (): { to: (pid: number) => void } {
  const pending: number[] = []
  let target: number | undefined
  const send = (signal: number): void => {
    if (target === undefined) {
      pending.push(signal)
      return
    }
    try { process.kill(target, signal) } catch { /* exited */ }
  }
  for (const name of FORWARDED_SIGNALS) process.on(name, () => { send(SIGNALS[name]) })
  return {
    to: pid => {
      target = pid
      for (const signal of pending.splice(0)) send(signal)
    },
  }
}
