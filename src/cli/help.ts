/**
 * Help text, generated from the command table. Imported by main() only for
 * help, so the entry chunk does not carry it.
 */
import type { Flag } from './types.js'
import { GLOBAL_FLAGS } from './flags.js'
import { COMMANDS, type TableCommand } from './table.js'

/** What each command does, in a line: here, not in the table, which is in the entry chunk that every run loads. */
const SUMMARIES: Record<TableCommand['name'], string> = {
  create: 'create a container that waits for start',
  start: 'run the user program of a created container',
  state: 'print the state of a container as JSON',
  kill: 'send a signal (default SIGTERM) to a container',
  delete: 'delete a stopped (or, with --force, any) container',
  run: 'create and start a container, wait for it and delete it',
  exec: 'run a new process in a running container',
  list: 'list the containers under --root',
  ps: 'list the processes of a container',
  pause: 'freeze every process of a container (its cgroup)',
  resume: 'thaw a paused container',
  update: 'change the cgroup limits of a running container',
  events: 'print resource usage and OOM events of a container',
  checkpoint: 'checkpoint a running container with criu',
  restore: 'restore a container from a checkpoint with criu',
  features: 'print what this runtime implements (features.md JSON)',
  spec: 'write a default config.json',
  completion: 'print a bash completion script',
}

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
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}${SUMMARIES[c.name]}`),
    '',
    'global flags:',
    flagLines(GLOBAL_FLAGS),
    '',
    'ocirt <command> --help shows the flags of a command.',
    '',
  ].join('\n')
}

/** `flags`: the command's flags (loaded by parseArgv). */
export function commandHelp (c: TableCommand, flags: readonly Flag[]): string {
  return [
    `ocirt ${c.name}: ${SUMMARIES[c.name]}`,
    '',
    `usage: ocirt [global flags] ${c.name} [flags] ${c.usage}`.trimEnd(),
    '',
    'flags:',
    flagLines(flags),
    '',
  ].join('\n')
}
