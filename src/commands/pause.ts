/** ocirt pause: see container/pause.ts. */
import type { CommandContext } from '../cli/types.js'
import { pauseContainer } from '../container/pause.js'

export function run (ctx: CommandContext): number {
  pauseContainer(ctx.globals.root, ctx.args[0])
  return 0
}
