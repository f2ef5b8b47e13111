/**
 * The types of ocirt's command line: a flag, a command, and what a command
 * gets when it runs. Commands import these (never the table itself, which
 * imports them lazily), so src/commands/ and src/cli/table.ts do not import
 * each other.
 */
import type { Logger } from '../log.js'

export interface Flag {
  name: string
  short?: string
  type: 'string' | 'boolean'
  description: string
  /** Shown in help: --bundle DIR */
  valueName?: string
  default?: string
  /** May be given several times; the values are collected in order. */
  multiple?: boolean
}

export interface Globals {
  /** --root, or its default for the caller; throws a UsageError if there is none. */
  readonly root: string
  /** --rootless resolved: ocirt has no privilege over cgroups. */
  rootless: boolean
  log: string | undefined
  logFormat: 'text' | 'json'
  debug: boolean
  systemdCgroup: boolean
  /** --criu: the criu binary for checkpoint and restore. */
  criu: string
}

export interface CommandContext {
  globals: Globals
  flags: Record<string, string | boolean | string[] | undefined>
  args: string[]
  log: Logger
}

export interface CommandModule {
  /** Returns the exit code. */
  run: (ctx: CommandContext) => Promise<number> | number
}

export interface Command {
  name: string
  summary: string
  /** Positional arguments, for help: "<container-id> [signal]" */
  usage: string
  minArgs: number
  maxArgs: number
  flags: Flag[]
  /** Everything after the first positional argument is arguments (exec's command line). */
  stopAtFirstArgument?: boolean
  load: () => Promise<CommandModule>
}
