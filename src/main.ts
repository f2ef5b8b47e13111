/**
 * ocirt's entry point: parse argv against the command table, load only the
 * command that runs, and turn errors into a message and exit code 1.
 *
 * Every run loads this module's chunk, and a compiled bun pays for what a
 * chunk defines (about 1 K instructions per top-level function, 2 K per key
 * of a large object literal) whether it runs or not (issue 11,
 * docs/performance.md "What loading a chunk costs"): so the logger (io.ts,
 * the addon), the command's flags and the filesystem errors' words come
 * with the command's module, by one import() (each costs about 90 K
 * instructions), and help is imported only for help.
 */
import { mark } from './trace.js'
import { parseCommand, parseGlobals, type ParsedGlobals } from './cli/parse.js'
import type { CommandModule } from './cli/types.js'
import { errorLine, OcirtError } from './errors.js'
import type { Logger } from './log.js'
import { print, printError } from './output.js'
import { OCIRT_VERSION, SPEC_VERSION } from './version.js'

/**
 * The global flags and the command's name, then `--version` without a
 * command answered at once; everything else goes on in main(). Not async:
 * the first call of an async function costs JavaScriptCore 0.1 M
 * instructions, a seventh of what `--version` costs over an empty executable.
 */
function start (argv: string[]): number | Promise<number> {
  mark('main')
  let globals: ParsedGlobals
  try {
    globals = parseGlobals(argv)
  } catch (e) {
    return refuse(e)
  }
  if (globals.command === undefined && globals.globalFlags.version === true) {
    mark('parsed')
    print(`ocirt version ${OCIRT_VERSION}\nspec: ${SPEC_VERSION}`)
    return 0
  }
  return main(globals)
}

/**
 * A command line refused before any command's module loaded (a wrong global
 * flag or command): one line on stderr, as a logger without --log writes it,
 * without loading one (cli/support.ts: io.ts and the addon).
 */
function refuse (e: unknown): number {
  printError(`ocirt: ${e instanceof OcirtError ? e.message : errorLine(e)}\n`)
  return 1
}

async function main (globals: ParsedGlobals): Promise<number> {
  let log: Logger | undefined
  let module: CommandModule | undefined
  let stateRoot: () => string | undefined = () => undefined
  try {
    // One import() brings the command's code, its flags and main()'s support (cli/types.ts CommandModule).
    module = await globals.command?.load()
    const parsed = parseCommand(globals, module)
    stateRoot = () => { try { return parsed.globals.root } catch { return undefined } }
    mark('parsed')
    if (parsed.globalFlags.version === true) {
      print(`ocirt version ${OCIRT_VERSION}\nspec: ${SPEC_VERSION}`)
      return 0
    }
    if (parsed.command === undefined || parsed.module === undefined) {
      print((await import('./cli/help.js')).mainHelp())
      return 0
    }
    if (parsed.flags.help === true) {
      print((await import('./cli/help.js')).commandHelp(parsed.command, parsed.module.flags()))
      return 0
    }
    log = new parsed.module.support.Logger(parsed.globals.log, parsed.globals.logFormat, parsed.globals.debug)
    mark('loaded')
    return await parsed.module.run({ globals: parsed.globals, flags: parsed.flags, args: parsed.args, log })
  } catch (e) {
    if (module === undefined) return refuse(e)
    const support = module.support
    // Until argv is parsed, errors go to stderr only.
    log ??= new support.Logger(undefined, 'text', false)
    const fsMessage = e instanceof OcirtError ? undefined : support.describeFsError(e, stateRoot())
    if (e instanceof OcirtError) {
      log.error(e.message)
    } else if (fsMessage !== undefined) {
      log.error(fsMessage)
    } else {
      // Still one line: the stack goes to --debug only.
      log.error(errorLine(e))
      log.debug((e as Error)?.stack ?? String(e))
    }
    return 1
  } finally {
    log?.flushWarnings()
  }
}

function exit (code: number): never {
  mark('exit')
  process.exit(code)
}

const code = start(process.argv.slice(2))
if (typeof code === 'number') exit(code)
else code.then(exit, () => process.exit(1))
