/** ocirt start: see container/start.ts. */
import type { CommandContext } from '../cli/types.js'
import { startContainer } from '../container/start.js'

export function run (ctx: CommandContext): number {
  startContainer(ctx.globals.root, ctx.args[0], ctx.log)
  return 0
}
