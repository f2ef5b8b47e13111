/** Help text, generated from the command table. */
import type { Command, Flag } from './types.js'
import { COMMANDS, GLOBAL_FLAGS } from './table.js'

function flagLines (flags: Flag[]): string {
  const left = flags.map(f => `  ${f.short !== undefined ? `-${f.short}, ` : '    '}--${f.name}${f.valueName !== undefined ? ` ${f.valueName}` : ''}`)
  const width = Math.max(...left.map(l => l.length)) + 2
  return flags.map((f, i) => `${left[i].padEnd(width)}${f.description}${f.default !== undefined ? ` (default: ${f.default})` : ''}`).join('\n')
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
    flagLines(c.flags),
    '',
  ].join('\n')
}
