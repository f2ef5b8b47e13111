/** ocirt create: see container/create.ts; --dry-run: container/dry-run.ts. */
import type { createFlags } from '../cli/flags-create.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { createContainer } from '../container/create.js'
import { print } from '../output.js'
import { createOptions } from './flags.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { createFlags as flags } from '../cli/flags-create.js'
export { support } from '../cli/support.js'

export async function run (ctx: CommandContext<typeof createFlags, ContainerArgs>): Promise<number> {
  if (ctx.flags['dry-run']) {
    const { dryRunCreate } = await import('../container/dry-run.js')
    print(dryRunCreate(createOptions(ctx)))
    return 0
  }
  createContainer(createOptions(ctx))
  return 0
}
