/**
 * Every command of ocirt, defined once, with its flags (declared in
 * flags.ts). Parsing (parse.ts), help (help.ts) and shell completion
 * (commands/completion.ts) all read this table, and a command's code is
 * imported only when that command runs, so the hot path (create, start,
 * state, kill, delete) loads nothing it does not use.
 */
import { checkpointFlags, createFlags, deleteFlags, eventsFlags, execFlags, helpOnlyFlags, killFlags, listFlags, psFlags, restoreFlags, runFlags, specFlags, updateFlags } from './flags.js'
import type { Command, FlagDeclaration } from './types.js'

/**
 * A table entry, checked at compile time: the command's module must take the
 * values of the flags the entry declares (CommandModule's `run`).
 */
export function command<F extends FlagDeclaration> (entry: Command<F>): Command { return entry }

export const COMMANDS: Command[] = [
  command({
    name: 'create', summary: 'create a container that waits for start', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: createFlags,
    load: async () => await import('../commands/create.js'),
  }),
  command({
    name: 'start', summary: 'run the user program of a created container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/start.js'),
  }),
  command({
    name: 'state', summary: 'print the state of a container as JSON', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/state.js'),
  }),
  command({
    name: 'kill', summary: 'send a signal (default SIGTERM) to a container', usage: '<container-id> [signal]', minArgs: 1, maxArgs: 2,
    flags: killFlags,
    load: async () => await import('../commands/kill.js'),
  }),
  command({
    name: 'delete', summary: 'delete a stopped (or, with --force, any) container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: deleteFlags,
    load: async () => await import('../commands/delete.js'),
  }),
  command({
    name: 'run', summary: 'create and start a container, wait for it and delete it', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: runFlags,
    load: async () => await import('../commands/run.js'),
  }),
  command({
    name: 'exec', summary: 'run a new process in a running container', usage: '<container-id> [command [args...]]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    flags: execFlags,
    load: async () => await import('../commands/exec.js'),
  }),
  command({
    name: 'list', summary: 'list the containers under --root', usage: '', minArgs: 0, maxArgs: 0,
    flags: listFlags,
    load: async () => await import('../commands/list.js'),
  }),
  command({
    name: 'ps', summary: 'list the processes of a container', usage: '<container-id> [ps options]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    flags: psFlags,
    load: async () => await import('../commands/ps.js'),
  }),
  command({
    name: 'pause', summary: 'freeze every process of a container (its cgroup)', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/pause.js'),
  }),
  command({
    name: 'resume', summary: 'thaw a paused container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/resume.js'),
  }),
  command({
    name: 'update', summary: 'change the cgroup limits of a running container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: updateFlags,
    load: async () => await import('../commands/update.js'),
  }),
  command({
    name: 'events', summary: 'print resource usage and OOM events of a container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: eventsFlags,
    load: async () => await import('../commands/events.js'),
  }),
  command({
    name: 'checkpoint', summary: 'checkpoint a running container with criu', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: checkpointFlags,
    load: async () => await import('../commands/checkpoint.js'),
  }),
  command({
    name: 'restore', summary: 'restore a container from a checkpoint with criu', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: restoreFlags,
    load: async () => await import('../commands/restore.js'),
  }),
  command({
    name: 'features', summary: 'print what this runtime implements (features.md JSON)', usage: '', minArgs: 0, maxArgs: 0,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/features.js'),
  }),
  command({
    name: 'spec', summary: 'write a default config.json', usage: '', minArgs: 0, maxArgs: 0,
    flags: specFlags,
    load: async () => await import('../commands/spec.js'),
  }),
  command({
    name: 'completion', summary: 'print a bash completion script', usage: '[bash]', minArgs: 0, maxArgs: 1,
    flags: helpOnlyFlags,
    load: async () => await import('../commands/completion.js'),
  }),
]

export function findCommand (name: string): Command | undefined {
  return COMMANDS.find(c => c.name === name)
}
