/** ocirt pause: see container/pause.ts. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { pauseContainer } from '../container/pause.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { helpOnlyFlags as flags } from '../cli/flags.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof helpOnlyFlags, ContainerArgs>): number {
  pauseContainer(ctx.globals.root, ctx.args[0])
  return 0
}
