/** ocirt create: see container/create.ts; --dry-run: container/dry-run.ts. */
import type { createFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { createContainer } from '../container/create.js'
import { print } from '../output.js'
import { createOptions } from './flags.js'

export async function run (ctx: CommandContext<typeof createFlags, ContainerArgs>): Promise<number> {
  if (ctx.flags['dry-run']) {
    const { dryRunCreate } = await import('../container/dry-run.js')
    print(dryRunCreate(createOptions(ctx)))
    return 0
  }
  createContainer(createOptions(ctx))
  return 0
}
