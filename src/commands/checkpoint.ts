/** ocirt checkpoint: see container/checkpoint.ts. */
import type { checkpointFlags } from '../cli/flags-criu.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { checkpointContainer } from '../container/checkpoint.js'
import { criuCommonOptions } from './flags.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { checkpointFlags as flags } from '../cli/flags-criu.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof checkpointFlags, ContainerArgs>): number {
  const f = ctx.flags
  checkpointContainer({
    ...criuCommonOptions(ctx),
    id: ctx.args[0],
    parentPath: f['parent-path'],
    leaveRunning: f['leave-running'],
    preDump: f['pre-dump'],
    autoDedup: f['auto-dedup'],
    pageServer: f['page-server'],
  })
  return 0
}
