/**
 * The types of ocirt's command line: a flag, a command, and what a command
 * gets when it runs. Commands import these (never the table itself, which
 * imports them lazily), so src/commands/ and src/cli/table.ts do not import
 * each other.
 */
import type { Logger } from '../log.js'

export interface Flag {
  /** --name; also the key of the flag's value in CommandContext.flags. */
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
  readonly rootless: boolean
  log: string | undefined
  logFormat: 'text' | 'json'
  debug: boolean
  systemdCgroup: boolean
  /** --criu: the criu binary for checkpoint and restore. */
  criu: string
}

/** What parsing gives a flag that `F` declares: see FlagValues. */
export type FlagValue<F extends Flag> =
  F extends { type: 'boolean' } ? boolean
    : F extends { multiple: true } ? string[]
      : F extends { default: string } ? string
        : string | undefined

/** Any flag's value, for code that handles every command's flags alike (parse, dispatch). */
export type AnyFlagValue = string | boolean | string[] | undefined

/**
 * The values of a list of flags, by name, as parseArgv fills them: a boolean
 * is false when absent, a repeatable flag an empty list, a string its
 * default, or undefined where it has none. For the general `Flag[]` (string
 * names), every value is AnyFlagValue.
 */
export type FlagValues<F extends readonly Flag[]> = string extends F[number]['name']
  ? Record<string, AnyFlagValue>
  : { [X in F[number] as X['name']]: FlagValue<X> }

/** A command's flag list, built when it is first needed (src/cli/flags-NAME.ts). */
export type FlagDeclaration = () => readonly Flag[]

/** The positional arguments of a command that names one container: <container-id>. */
export type ContainerArgs = [id: string]

/**
 * `F`: the command's flag declaration (src/cli/flags-NAME.ts), which types `flags`.
 * `A`: its positional arguments as its usage in the table describes them,
 * e.g. ContainerArgs; parseArgv refuses fewer than minArgs or more than maxArgs.
 */
export interface CommandContext<F extends FlagDeclaration = FlagDeclaration, A extends readonly string[] = string[]> {
  globals: Globals
  flags: FlagValues<ReturnType<F>>
  args: A
  log: Logger
}

/**
 * What main() needs to run any command beyond the entry chunk: the logger
 * (io.ts, the addon), the defaults of --root and --rootless (the host's
 * facts), the words for a filesystem error. One object (cli/support.ts)
 * that every command module re-exports, so that a command's code, flags
 * and support arrive by one import(): each import() costs a compiled bun
 * about 90 K instructions (issue 11, docs/performance.md "The entry chunk").
 */
export type CommandSupport = typeof import('./support.js').support

export interface CommandModule<F extends FlagDeclaration = FlagDeclaration> {
  /** The command's flag declaration (src/cli/flags-NAME.ts). */
  flags: F
  support: CommandSupport
  /**
   * Returns the exit code. A method, so that its parameter is checked both
   * ways: a module typed for its own flags is a CommandModule for the table
   * (whose values parseArgv builds from the same list), while a module typed
   * for another command's flags is not (table.ts, `command`).
   */
  run (ctx: CommandContext<F>): Promise<number> | number
}

/** One entry of the table; `F` declares its flags (the module's `flags`). */
export interface Command<F extends FlagDeclaration = FlagDeclaration> {
  name: string
  /** Positional arguments, for help and the usage errors: "<container-id> [signal]" */
  usage: string
  minArgs: number
  maxArgs: number
  /** Everything after the first positional argument is arguments (exec's command line). */
  stopAtFirstArgument?: boolean
  /** Imports the command's module: its code and its flags, for the command that runs or for its help. */
  load: () => Promise<CommandModule<F>>
}
