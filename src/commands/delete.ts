/** ocirt delete: see container/delete.ts. */
import type { deleteFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { deleteContainer } from '../container/delete.js'

export function run (ctx: CommandContext<typeof deleteFlags, ContainerArgs>): number {
  deleteContainer(ctx.globals.root, ctx.args[0], ctx.flags.force, ctx.log)
  return 0
}
