/** ocirt create: see container/create.ts; --dry-run: container/dry-run.ts. */
import type { CommandContext } from '../cli/types.js'
import { createContainer } from '../container/create.js'
import { print } from '../output.js'
import { createOptions } from './flags.js'

export async function run (ctx: CommandContext): Promise<number> {
  if (ctx.flags['dry-run'] === true) {
    const { dryRunCreate } = await import('../container/dry-run.js')
    print(dryRunCreate(createOptions(ctx)))
    return 0
  }
  createContainer(createOptions(ctx))
  return 0
}
