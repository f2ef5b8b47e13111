/** ocirt create: see container/create.ts. */
import type { CommandContext } from '../cli/table.js'
import { createContainer } from '../container/create.js'
import { createOptions } from './flags.js'

export function run (ctx: CommandContext): number {
  createContainer(createOptions(ctx))
  return 0
}
