/** ocirt resume: see container/pause.ts. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { resumeContainer } from '../container/pause.js'

export function run (ctx: CommandContext<typeof helpOnlyFlags, ContainerArgs>): number {
  resumeContainer(ctx.globals.root, ctx.args[0])
  return 0
}
