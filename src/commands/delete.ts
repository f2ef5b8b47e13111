/** ocirt delete: see container/remove.ts and container/delete.ts. */
import type { deleteFlags } from '../cli/flags-delete.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { removeContainer } from '../container/remove.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { deleteFlags as flags } from '../cli/flags-delete.js'
export { support } from '../cli/support.js'

export async function run (ctx: CommandContext<typeof deleteFlags, ContainerArgs>): Promise<number> {
  const removed = removeContainer(ctx.globals.root, ctx.args[0], ctx.flags.force, ctx.log)
  // runtime.md lifecycle step 13: after the container is gone; a failure is a warning. The hook code
  // (and the namespace tables it needs) loads only when there is a poststop hook to run.
  if (removed !== undefined && (removed.config.hooks?.poststop?.length ?? 0) > 0) {
    const { runHooks } = await import('../container/hooks.js')
    runHooks('poststop', removed, 'stopped', ctx.log, true)
  }
  return 0
}
