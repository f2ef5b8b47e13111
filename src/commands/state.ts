/** ocirt state: the state JSON of runtime.md "Query State". */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { findContainer } from '../container/lookup.js'
import { stateJson } from '../container/state.js'
import { print } from '../output.js'
import { mark } from '../trace.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { helpOnlyFlags as flags } from '../cli/flags.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof helpOnlyFlags, ContainerArgs>): number {
  const { state, status } = findContainer(ctx.globals.root, ctx.args[0])
  mark('lookup')
  print(JSON.stringify(stateJson(state, status), null, 2))
  return 0
}
