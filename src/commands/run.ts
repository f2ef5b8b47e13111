/**
 * ocirt run: create + start, then (unless --detach) wait for the container,
 * forwarding signals to it, delete it and exit with its status (128+N for a
 * signal, as runc and shells do).
 */
import type { runFlags } from '../cli/flags-create.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { createContainer } from '../container/create.js'
import { deleteContainer } from '../container/delete.js'
import { signalInit } from '../container/signal.js'
import { startContainer } from '../container/start.js'
import { loadBundle } from '../container/bundle.js'
import { SIGNALS } from '../linux/constants.js'
import { loadNative } from '../native.js'
import { createOptions } from './flags.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { runFlags as flags } from '../cli/flags-create.js'
export { support } from '../cli/support.js'

/**
 * Signals passed on to the container (SIGUSR1 stays node's: it starts the
 * inspector); their numbers come from the build-time table (src/linux/constants.ts), typed per name.
 */
export const FORWARDED_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR2', 'SIGALRM', 'SIGWINCH', 'SIGCONT'] as const

export async function run (ctx: CommandContext<typeof runFlags, ContainerArgs>): Promise<number> {
  const root = ctx.globals.root
  const id = ctx.args[0]
  // As runc run: orphans come to us, among them a container process whose
  // first parent exited (a pid namespace made inside a joined user namespace).
  if (!ctx.flags.detach) loadNative().setChildSubreaper()
  const options = createOptions(ctx)
  const loaded = loadBundle(options.bundle)
  // In the foreground, a terminal without a console socket is ours to proxy.
  // Loaded only then: its output stream is node:fs's, whose first use costs 2.6 M instructions (issue 11).
  const proxy = !ctx.flags.detach && options.consoleSocket === undefined && loaded.spec.process?.terminal === true
    ? new (await import('../container/terminal-proxy.js')).TerminalProxy()
    : undefined
  let state
  try {
    state = createContainer({ ...options, loaded, consoleSocket: proxy?.socketPath ?? options.consoleSocket })
    proxy?.attach()
  } catch (e) {
    proxy?.close()
    throw e
  }
  if (ctx.flags.detach) {
    try {
      await startContainer(root, id, ctx.log)
    } catch (e) {
      deleteContainer(root, id, true, ctx.log)
      throw e
    }
    return 0
  }

  const exited = loadNative().waitPidAsync(state.pid)
  // A signal that comes while start runs is forwarded once the program runs,
  // as runc's buffered signal channel does: start may await an import() (for
  // hooks or a seccomp agent) with the init still created, and a signal
  // forwarded then would end the init instead of reaching the program.
  let heldSignals: number[] | undefined = []
  for (const name of FORWARDED_SIGNALS) {
    process.on(name, () => {
      if (heldSignals === undefined) signalInit(state, SIGNALS[name])
      else heldSignals.push(SIGNALS[name])
    })
  }
  try {
    await startContainer(root, id, ctx.log)
    const held = heldSignals
    heldSignals = undefined
    for (const signal of held) signalInit(state, signal)
  } catch (e) {
    deleteContainer(root, id, true, ctx.log)
    await exited
    proxy?.close()
    throw e
  }
  // Started: what went wrong is no longer an error of this command, so the warnings need not wait for its end.
  ctx.log.flushWarnings()
  const result = await exited
  await proxy?.finish()
  if (!ctx.flags.keep) deleteContainer(root, id, true, ctx.log)
  return result.status ?? 128 + (result.signal ?? 0)
}
