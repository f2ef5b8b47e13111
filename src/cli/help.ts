/** Help text, generated from the command table. */
import type { Command, Flag } from './types.js'
import { GLOBAL_FLAGS } from './flags.js'
import { COMMANDS } from './table.js'

function flagLines (flags: readonly Flag[]): string {
  const rows = flags.map(f => ({ flag: f, left: `  ${f.short !== undefined ? `-${f.short}, ` : '    '}--${f.name}${f.valueName !== undefined ? ` ${f.valueName}` : ''}` }))
  const width = Math.max(...rows.map(r => r.left.length)) + 2
  return rows.map(({ flag: f, left }) => `${left.padEnd(width)}${f.description}${f.default !== undefined ? ` (default: ${f.default})` : ''}`).join('\n')
}

export function mainHelp (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length)) + 2
  return [
    'ocirt: an OCI runtime-spec v1.3.0 container runtime',
    '',
    'usage: ocirt [global flags] <command> [flags] [arguments]',
    '',
    'commands:',
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'global flags:',
    flagLines(GLOBAL_FLAGS),
    '',
    'ocirt <command> --help shows the flags of a command.',
    '',
  ].join('\n')
}

export function commandHelp (c: Command): string {
  return [
    `ocirt ${c.name}: ${c.summary}`,
    '',
    `usage: ocirt [global flags] ${c.name} [flags] ${c.usage}`.trimEnd(),
    '',
    'flags:',
    flagLines(c.flags()),
    '',
  ].join('\n')
}
