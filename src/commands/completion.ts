/** ocirt completion: a bash completion script generated from the command table. */
import type { helpOnlyFlags } from '../cli/flags.js'
import type { CommandContext } from '../cli/types.js'
import { GLOBAL_FLAGS } from '../cli/flags.js'
import { COMMANDS } from '../cli/table.js'
import type { Flag } from '../cli/types.js'
import { UsageError } from '../errors.js'
import { print } from '../output.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { helpOnlyFlags as flags } from '../cli/flags.js'
export { support } from '../cli/support.js'

export async function run (ctx: CommandContext<typeof helpOnlyFlags>): Promise<number> {
  const shell = ctx.args[0] ?? 'bash'
  if (shell !== 'bash') throw new UsageError(`completion: only bash is supported, not "${shell}"`)
  const flagWords = (flags: readonly Flag[]) => flags.map(f => `--${f.name}`).join(' ')
  // Each command's flags come with its module (cli/types.ts CommandModule): this loads them all.
  const cases = (await Promise.all(COMMANDS.map(async c => `    ${c.name}) words="${flagWords((await c.load()).flags())}" ;;`))).join('\n')
  print(`# bash completion for ocirt (source it, or put it in /etc/bash_completion.d/ocirt)
_ocirt() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd=\${COMP_WORDS[i]}; break ;; esac
  done
  case "$cmd" in
    "") words="${COMMANDS.map(c => c.name).join(' ')} ${flagWords(GLOBAL_FLAGS)}" ;;
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _ocirt ocirt`)
  return 0
}
