/** ocirt features: the JSON of features.md. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext } from '../cli/types.js'
import { features } from '../linux/features.js'
import { print } from '../output.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { helpOnlyFlags as flags } from '../cli/flags.js'
export { support } from '../cli/support.js'

export function run (_ctx: CommandContext<typeof helpOnlyFlags, []>): number {
  print(JSON.stringify(features(), null, 2))
  return 0
}
