/** Flag values shared by several commands. */
import type { CommandContext } from '../cli/table.js'
import type { CreateOptions } from '../container/create.js'
import { UsageError } from '../errors.js'

export function preserveFdsFlag (flags: CommandContext['flags']): number {
  const text = (flags['preserve-fds'] as string | undefined) ?? '0'
  if (!/^\d+$/.test(text)) throw new UsageError(`flag --preserve-fds takes a number, not "${text}"`)
  return Number(text)
}

/** create's and run's common flags, as createContainer takes them. */
export function createOptions (ctx: CommandContext): CreateOptions {
  return {
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: ctx.flags.bundle as string | undefined,
    pidFile: ctx.flags['pid-file'] as string | undefined,
    consoleSocket: ctx.flags['console-socket'] as string | undefined,
    preserveFds: preserveFdsFlag(ctx.flags),
    noPivot: ctx.flags['no-pivot'] === true,
    noNewKeyring: ctx.flags['no-new-keyring'] === true,
    rootless: ctx.globals.rootless,
    log: ctx.log,
  }
}
