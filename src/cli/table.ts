/**
 * Every command of ocirt, defined once. Parsing (parse.ts), help (help.ts)
 * and shell completion (commands/completion.ts) all read this table. It is
 * in the entry chunk, which every run loads: so a command's module, with
 * its flags (flags-NAME.ts), is imported only when the command runs (or
 * for its help), and the hot path (create, start, state, kill, delete)
 * loads nothing it does not use (issue 11, docs/performance.md "The entry
 * chunk").
 */
import type { Command, FlagDeclaration } from './types.js'

/**
 * A table entry, checked at compile time: the command's module must take the
 * values of the flags it declares (CommandModule's `flags` and `run`).
 */
export function command<F extends FlagDeclaration, const Name extends string> (entry: Command<F> & { name: Name }): Command & { name: Name } { return entry }

export const COMMANDS = [
  command({
    name: 'create', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/create.js'),
  }),
  command({
    name: 'start', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/start.js'),
  }),
  command({
    name: 'state', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/state.js'),
  }),
  command({
    name: 'kill', usage: '<container-id> [signal]', minArgs: 1, maxArgs: 2,
    load: () => import('../commands/kill.js'),
  }),
  command({
    name: 'delete', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/delete.js'),
  }),
  command({
    name: 'run', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/run.js'),
  }),
  command({
    name: 'exec', usage: '<container-id> [command [args...]]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    load: () => import('../commands/exec.js'),
  }),
  command({
    name: 'list', usage: '', minArgs: 0, maxArgs: 0,
    load: () => import('../commands/list.js'),
  }),
  command({
    name: 'ps', usage: '<container-id> [ps options]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    load: () => import('../commands/ps.js'),
  }),
  command({
    name: 'pause', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/pause.js'),
  }),
  command({
    name: 'resume', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/resume.js'),
  }),
  command({
    name: 'update', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/update.js'),
  }),
  command({
    name: 'events', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/events.js'),
  }),
  command({
    name: 'checkpoint', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/checkpoint.js'),
  }),
  command({
    name: 'restore', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    load: () => import('../commands/restore.js'),
  }),
  command({
    name: 'features', usage: '', minArgs: 0, maxArgs: 0,
    load: () => import('../commands/features.js'),
  }),
  command({
    name: 'spec', usage: '', minArgs: 0, maxArgs: 0,
    load: () => import('../commands/spec.js'),
  }),
  command({
    name: 'completion', usage: '[bash]', minArgs: 0, maxArgs: 1,
    load: () => import('../commands/completion.js'),
  }),
]

/** An entry of the table, with its name's literal type (help.ts's summaries are checked against them). */
export type TableCommand = typeof COMMANDS[number]

export function findCommand (name: string): TableCommand | undefined {
  // A loop, not find: see scanFlags in parse.ts.
  for (let i = 0; i < COMMANDS.length; i++) if (COMMANDS[i]?.name === name) return COMMANDS[i]
  return undefined
}
