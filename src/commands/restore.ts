/**
 * ocirt restore: see container/restore.ts. Without --detach, as runc (and
 * run): wait for the restored container, forwarding signals, delete it and
 * exit with its status.
 */
import type { restoreFlags } from '../cli/flags-criu.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { deleteContainer } from '../container/delete.js'
import { restoreContainer } from '../container/restore.js'
import { signalInit } from '../container/signal.js'
import { SIGNALS } from '../linux/constants.js'
import { loadNative } from '../native.js'
import { criuCommonOptions } from './flags.js'
import { FORWARDED_SIGNALS } from './run.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { restoreFlags as flags } from '../cli/flags-criu.js'
export { support } from '../cli/support.js'

export async function run (ctx: CommandContext<typeof restoreFlags, ContainerArgs>): Promise<number> {
  const detach = ctx.flags.detach
  // criu --restore-detached leaves the restored init to the nearest subreaper
  // when it exits: in the foreground that must be us, to wait for it.
  if (!detach) loadNative().setChildSubreaper()
  const state = restoreContainer({
    ...criuCommonOptions(ctx),
    id: ctx.args[0],
    bundle: ctx.flags.bundle,
    pidFile: ctx.flags['pid-file'],
    consoleSocket: ctx.flags['console-socket'],
  })
  if (detach) return 0
  const exited = loadNative().waitPidAsync(state.pid)
  for (const name of FORWARDED_SIGNALS) {
    process.on(name, () => { signalInit(state, SIGNALS[name]) })
  }
  const result = await exited
  deleteContainer(ctx.globals.root, state.id, true, ctx.log)
  return result.status ?? 128 + (result.signal ?? 0)
}
