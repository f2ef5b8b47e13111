/** ocirt features: the JSON of features.md. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext } from '../cli/types.js'
import { features } from '../linux/features.js'
import { print } from '../output.js'

export function run (_ctx: CommandContext<typeof helpOnlyFlags, []>): number {
  print(JSON.stringify(features(), null, 2))
  return 0
}
