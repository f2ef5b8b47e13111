/**
 * argv → globals, command, flags and arguments, from the one table in table.ts.
 * Like runc: global flags come before the command; a flag's value may be
 * given as --flag VALUE or --flag=VALUE; -- ends the flags.
 */
import { UsageError } from '../errors.js'
import { defaultStateRoot, resolveRootless } from './privilege.js'
import type { Command, Flag, Globals } from './types.js'
import { COMMANDS, findCommand, GLOBAL_FLAGS } from './table.js'

type FlagValues = Record<string, string | boolean | string[] | undefined>

export interface Parsed {
  globals: Globals
  globalFlags: FlagValues
  command: Command | undefined
  flags: FlagValues
  args: string[]
}

interface FlagScan {
  values: FlagValues
  rest: string[]
}

/**
 * Reads flags from the front of argv until the first argument (or all of
 * argv when `interleaved`, where flags and arguments may mix).
 */
function scanFlags (argv: string[], flags: Flag[], where: string, interleaved: boolean): FlagScan {
  const values: FlagValues = {}
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === '--') { rest.push(...argv.slice(i + 1)); break }
    if (!token.startsWith('-') || token === '-') {
      if (!interleaved) { rest.push(...argv.slice(i)); break }
      rest.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const name = eq >= 0 ? token.slice(0, eq) : token
    // runc (urfave/cli) accepts both -flag and --flag for long names.
    const bare = name.replace(/^--?/, '')
    const flag = flags.find(f => f.name === bare || (name.length === 2 && f.short === bare))
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
      value = argv[++i]
    }
    if (flag.multiple === true) values[flag.name] = [...(values[flag.name] as string[] | undefined ?? []), value]
    else values[flag.name] = value
  }
  return { values, rest }
}

export function parseArgv (argv: string[]): Parsed {
  const globalScan = scanFlags(argv, GLOBAL_FLAGS, 'ocirt', false)
  const g = globalScan.values
  const logFormat = (g['log-format'] as string | undefined) ?? 'text'
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`flag --log-format must be text or json, not "${logFormat}"`)
  const explicitRoot = g.root as string | undefined
  const globals: Globals = {
    // Resolved when a command needs it: `spec` or `features` run without one.
    get root () { return explicitRoot ?? defaultStateRoot() },
    rootless: resolveRootless(g.rootless as string | undefined, g['systemd-cgroup'] === true),
    log: g.log as string | undefined,
    logFormat,
    debug: g.debug === true,
    systemdCgroup: g['systemd-cgroup'] === true,
    criu: (g.criu as string | undefined) ?? '/usr/sbin/criu',
  }
  const [name, ...rest] = globalScan.rest
  if (name === undefined) return { globals, globalFlags: g, command: undefined, flags: {}, args: [] }
  const command = findCommand(name)
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map(c => c.name).join(', ')})`)
  }
  let scan: FlagScan
  if (command.stopAtFirstArgument === true) {
    scan = scanFlags(rest, command.flags, `"${command.name}"`, false)
  } else {
    scan = scanFlags(rest, command.flags, `"${command.name}"`, true)
  }
  if (scan.values.help !== true) {
    if (scan.rest.length < command.minArgs) {
      throw new UsageError(`"${command.name}" needs ${command.usage}`)
    }
    if (scan.rest.length > command.maxArgs && command.stopAtFirstArgument !== true) {
      throw new UsageError(`"${command.name}" takes ${command.usage === '' ? 'no arguments' : command.usage}, got ${scan.rest.length}: ${scan.rest.join(' ')}`)
    }
  }
  return { globals, globalFlags: g, command, flags: scan.values, args: scan.rest }
}
