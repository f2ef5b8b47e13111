/**
 * argv → globals, command, flags and arguments, from the one table in table.ts.
 * Like runc: global flags come before the command; a flag's value may be
 * given as --flag VALUE or --flag=VALUE; -- ends the flags.
 *
 * This module is in the entry chunk: what only a command needs (its flags,
 * the defaults of --root and --rootless) comes with the command's module.
 */
import { UsageError } from '../errors.js'
import { parseRootlessWord } from './rootless-word.js'
import { GLOBAL_FLAGS } from './flags.js'
import type { AnyFlagValue, CommandModule, CommandSupport, Flag, FlagValues, Globals } from './types.js'
import { COMMANDS, findCommand, type TableCommand } from './table.js'

/** The flags given on the command line, by name; an absent flag has no key. */
type GivenFlags<F extends readonly Flag[]> = Partial<FlagValues<F>>

export interface Parsed {
  globals: Globals
  globalFlags: GivenFlags<typeof GLOBAL_FLAGS>
  command: TableCommand | undefined
  /** The command's module, loaded (its flags, its support for main, its run). */
  module: CommandModule | undefined
  flags: FlagValues<readonly Flag[]>
  args: string[]
}

interface FlagScan {
  /** By flag name; typed by parseCommandFlags and parseArgv, which know the list. */
  values: Record<string, AnyFlagValue>
  rest: string[]
}

/** `list` with argv[from..] appended (what concat does; see scanFlags). */
function appendFrom (list: string[], argv: string[], from: number): string[] {
  for (let i = from; i < argv.length; i++) list.push(argv[i] ?? '')
  return list
}

/** The flag named `bare` (--bare), or with the short name `bare` when `short` (-b). */
function findFlag (flags: readonly Flag[], bare: string, short: boolean): Flag | undefined {
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]
    if (flag !== undefined && (flag.name === bare || (short && flag.short === bare))) return flag
  }
  return undefined
}

/**
 * Reads flags from the front of argv until the first argument (or all of
 * argv when `interleaved`, where flags and arguments may mix).
 *
 * Plain loops and slices, not find, map, spread or destructuring with a
 * rest: JavaScriptCore writes those builtins in JavaScript and compiles each
 * on its first use, which every ocirt process would pay (issue 11,
 * docs/performance.md "The entry chunk").
 */
function scanFlags (argv: string[], flags: readonly Flag[], where: string, interleaved: boolean): FlagScan {
  const values: Record<string, AnyFlagValue> = {}
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? ''
    if (token === '--') return { values, rest: appendFrom(rest, argv, i + 1) }
    if (!token.startsWith('-') || token === '-') {
      if (!interleaved) return { values, rest: appendFrom(rest, argv, i) }
      rest.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const name = eq >= 0 ? token.slice(0, eq) : token
    // runc (urfave/cli) accepts both -flag and --flag for long names. Not a
    // regular expression: compiling one costs every run 20 K instructions.
    const bare = name.slice(name.startsWith('--') ? 2 : 1)
    const flag = findFlag(flags, bare, name.length === 2)
    if (flag === undefined) {
      const known = flags.map(f => `--${f.name}`).join(', ')
      throw new UsageError(`unknown flag ${name} for ${where} (known: ${known})`)
    }
    if (flag.type === 'boolean') {
      if (eq >= 0) {
        const v = token.slice(eq + 1)
        if (v !== 'true' && v !== 'false') throw new UsageError(`flag --${flag.name} takes true or false, not "${v}"`)
        values[flag.name] = v === 'true'
      } else {
        values[flag.name] = true
      }
      continue
    }
    let value: string
    if (eq >= 0) {
      value = token.slice(eq + 1)
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`flag --${flag.name} needs a value (${flag.valueName ?? 'VALUE'})`)
      value = argv[++i] ?? ''
    }
    if (flag.multiple === true) {
      const earlier = values[flag.name]
      values[flag.name] = [...(Array.isArray(earlier) ? earlier : []), value]
    } else {
      values[flag.name] = value
    }
  }
  return { values, rest }
}

/**
 * `argv` (after the command's name) against one command's flags, with every
 * absent flag filled: a boolean false, a repeatable flag [], a string its
 * default or undefined (FlagValues).
 */
export function parseCommandFlags<F extends readonly Flag[]> (argv: string[], flags: F, command: string, stopAtFirstArgument: boolean): { values: FlagValues<F>, rest: string[] } {
  const { values, rest } = scanFlags(argv, flags, `"${command}"`, !stopAtFirstArgument)
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]
    if (flag === undefined || Object.hasOwn(values, flag.name)) continue
    values[flag.name] = flag.type === 'boolean' ? false : flag.multiple === true ? [] : flag.default
  }
  // scanFlags gave each flag of `flags` a value of its kind (a string, true
  // or false, or a list for a repeatable one) and the loop filled the rest:
  // which is what FlagValues<F> says.
  return { values: values as FlagValues<F>, rest }
}

/** argv up to the command: its global flags and the command's entry, found before any command's module loads. */
export interface ParsedGlobals {
  globalFlags: GivenFlags<typeof GLOBAL_FLAGS>
  logFormat: 'text' | 'json'
  rootlessWord: boolean | 'auto'
  command: TableCommand | undefined
  /** argv after the command's name. */
  rest: string[]
}

export function parseGlobals (argv: string[]): ParsedGlobals {
  const globalScan = scanFlags(argv, GLOBAL_FLAGS, 'ocirt', false)
  // As in parseCommandFlags, but without defaults (below): an absent flag has no value.
  const g = globalScan.values as GivenFlags<typeof GLOBAL_FLAGS>
  // Global flags keep no defaults from the table: --root's depends on the caller.
  const logFormat = g['log-format'] ?? 'text'
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`flag --log-format must be text or json, not "${logFormat}"`)
  // A wrong word is refused for every command; `auto` is decided on first use
  // (most commands never ask, and deciding reads /proc/self twice).
  const rootlessWord = parseRootlessWord(g.rootless)
  const name = globalScan.rest[0]
  const rest = globalScan.rest.slice(1)
  if (name === undefined) return { globalFlags: g, logFormat, rootlessWord, command: undefined, rest }
  const command = findCommand(name)
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map(c => c.name).join(', ')})`)
  }
  return { globalFlags: g, logFormat, rootlessWord, command, rest }
}

/**
 * The rest of argv against the flags of the command's module (`module`,
 * loaded by the caller: undefined without a command). Nothing of the module
 * runs here, so a wrong flag is still reported before the command does anything.
 */
export function parseCommand (parsed: ParsedGlobals, module: CommandModule | undefined): Parsed {
  const { globalFlags: g, logFormat, rootlessWord, command } = parsed
  const explicitRoot = g.root
  const systemdCgroup = g['systemd-cgroup'] === true
  const support = (): CommandSupport => {
    if (module === undefined) throw new Error('--root and --rootless are decided for a command only')
    return module.support
  }
  const globals: Globals = {
    // Resolved when a command needs it: `spec` or `features` run without one.
    get root () { return explicitRoot ?? support().defaultStateRoot() },
    get rootless () { return rootlessWord === 'auto' ? support().resolveRootless('auto', systemdCgroup) : rootlessWord },
    log: g.log,
    logFormat,
    debug: g.debug === true,
    systemdCgroup,
    criu: g.criu ?? '/usr/sbin/criu',
  }
  if (command === undefined || module === undefined) return { globals, globalFlags: g, command: undefined, module: undefined, flags: {}, args: [] }
  const commandFlags = module.flags()
  const scan = parseCommandFlags(parsed.rest, commandFlags, command.name, command.stopAtFirstArgument === true)
  if (scan.values.help !== true) {
    if (scan.rest.length < command.minArgs) {
      throw new UsageError(`"${command.name}" needs ${command.usage}`)
    }
    if (scan.rest.length > command.maxArgs && command.stopAtFirstArgument !== true) {
      throw new UsageError(`"${command.name}" takes ${command.usage === '' ? 'no arguments' : command.usage}, got ${scan.rest.length}: ${scan.rest.join(' ')}`)
    }
  }
  return { globals, globalFlags: g, command, module, flags: scan.values, args: scan.rest }
}

/** parseGlobals, the command's module loaded, then parseCommand. */
export async function parseArgv (argv: string[]): Promise<Parsed> {
  const parsed = parseGlobals(argv)
  return parseCommand(parsed, await parsed.command?.load())
}
