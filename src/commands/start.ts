/** ocirt start: see container/start.ts. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { startContainer } from '../container/start.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { helpOnlyFlags as flags } from '../cli/flags.js'
export { support } from '../cli/support.js'

export async function run (ctx: CommandContext<typeof helpOnlyFlags, ContainerArgs>): Promise<number> {
  await startContainer(ctx.globals.root, ctx.args[0], ctx.log)
  return 0
}
