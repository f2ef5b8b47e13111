/**
 * ocirt's entry point: parse argv against the command table, load only the
 * command that runs, and turn errors into a message and exit code 1.
 */
import { mark } from './trace.js'
import { commandHelp, mainHelp } from './cli/help.js'
import { parseArgv } from './cli/parse.js'
import { errorLine, OcirtError } from './errors.js'
import { describeFsError } from './fs-errors.js'
import { Logger } from './log.js'
import { print } from './output.js'
import { OCIRT_VERSION, SPEC_VERSION } from './version.js'

async function main (argv: string[]): Promise<number> {
  mark('main')
  let log = new Logger(undefined, 'text', false)
  let stateRoot: () => string | undefined = () => undefined
  try {
    const parsed = parseArgv(argv)
    stateRoot = () => { try { return parsed.globals.root } catch { return undefined } }
    mark('parsed')
    log = new Logger(parsed.globals.log, parsed.globals.logFormat, parsed.globals.debug)
    if (parsed.globalFlags.version === true) {
      print(`ocirt version ${OCIRT_VERSION}\nspec: ${SPEC_VERSION}`)
      return 0
    }
    if (parsed.command === undefined) {
      print(mainHelp())
      return 0
    }
    if (parsed.flags.help === true) {
      print(commandHelp(parsed.command))
      return 0
    }
    const module = await parsed.command.load()
    mark('loaded')
    return await module.run({ globals: parsed.globals, flags: parsed.flags, args: parsed.args, log })
  } catch (e) {
    const fsMessage = e instanceof OcirtError ? undefined : describeFsError(e, stateRoot())
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
    log.flushWarnings()
  }
}

main(process.argv.slice(2)).then(code => { mark('exit'); process.exit(code) }, () => process.exit(1))
