/** ocirt create: see container/create.ts. */
import { createContainer } from '../container/create.js'
import type { CommandContext } from '../cli/table.js'
import { preserveFdsFlag } from './flags.js'

export function run (ctx: CommandContext): number {
  createContainer({
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: ctx.flags.bundle as string | undefined,
    pidFile: ctx.flags['pid-file'] as string | undefined,
    consoleSocket: ctx.flags['console-socket'] as string | undefined,
    preserveFds: preserveFdsFlag(ctx.flags),
    noPivot: ctx.flags['no-pivot'] === true,
    noNewKeyring: ctx.flags['no-new-keyring'] === true,
    log: ctx.log,
  })
  return 0
}
