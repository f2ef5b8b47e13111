/** ocirt delete: see container/delete.ts. */
import type { deleteFlags } from '../cli/flags-delete.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { deleteContainer } from '../container/delete.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { deleteFlags as flags } from '../cli/flags-delete.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof deleteFlags, ContainerArgs>): number {
  deleteContainer(ctx.globals.root, ctx.args[0], ctx.flags.force, ctx.log)
  return 0
}
