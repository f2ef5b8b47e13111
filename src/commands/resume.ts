/** ocirt resume: see container/pause.ts. */
import type { CommandContext } from '../cli/types.js'
import { resumeContainer } from '../container/pause.js'

export function run (ctx: CommandContext): number {
  resumeContainer(ctx.globals.root, ctx.args[0])
  return 0
}
