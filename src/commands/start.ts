/** ocirt start: see container/start.ts. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { startContainer } from '../container/start.js'

export function run (ctx: CommandContext<typeof helpOnlyFlags, ContainerArgs>): number {
  startContainer(ctx.globals.root, ctx.args[0], ctx.log)
  return 0
}
