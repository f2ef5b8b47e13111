/** ocirt checkpoint: see container/checkpoint.ts. */
import type { CommandContext } from '../cli/types.js'
import { checkpointContainer } from '../container/checkpoint.js'
import { criuCommonFlags } from './flags.js'

export function run (ctx: CommandContext): number {
  const f = ctx.flags
  checkpointContainer({
    ...criuCommonFlags(ctx),
    id: ctx.args[0],
    parentPath: f['parent-path'] as string | undefined,
    leaveRunning: f['leave-running'] === true,
    preDump: f['pre-dump'] === true,
    autoDedup: f['auto-dedup'] === true,
    pageServer: f['page-server'] as string | undefined,
  })
  return 0
}
