/** ocirt delete: see container/delete.ts. */
import type { CommandContext } from '../cli/types.js'
import { deleteContainer } from '../container/delete.js'

export function run (ctx: CommandContext): number {
  deleteContainer(ctx.globals.root, ctx.args[0], ctx.flags.force === true, ctx.log)
  return 0
}
