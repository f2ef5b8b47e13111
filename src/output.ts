/**
 * Synchronous writes to stdout (and stderr, for what the entry writes itself):
 * ocirt exits with process.exit as soon as a command is done, and an
 * asynchronous write to a pipe could be cut short.
 */

/**
 * A compiled bun's console.log writes at once, and waits out a full or
 * non-blocking pipe, so process.exit right after loses nothing; it prints a
 * single string as it is ('%' included). It needs no addon: --version and help
 * stay 0.44 M instructions cheaper (docs/performance.md "The hot commands
 * without node:fs"). Under node (dist/ocirt.mjs) a pipe may be written
 * asynchronously, so there write(2) is used.
 */
const CONSOLE_IS_SYNCHRONOUS = process.versions.bun !== undefined

export function print (text: string): void {
  const line = text.endsWith('\n') ? text : `${text}\n`
  if (CONSOLE_IS_SYNCHRONOUS) {
    console.log(line.slice(0, -1))
    return
  }
  writeAllUnderNode(1, line)
}

/**
 * Writes one line (ending in a newline) to stderr at once, as print does to
 * stdout (console.error is as synchronous and exact: test/print.test.ts):
 * the error line of a command line refused before any command's module (and
 * its logger, with io.ts and the addon) is loaded, and OCIRT_TRACE_TIMING's
 * marks.
 */
export function printError (line: string): void {
  if (CONSOLE_IS_SYNCHRONOUS) {
    console.error(line.slice(0, -1))
    return
  }
  writeAllUnderNode(2, line)
}

/**
 * Under node (dist/ocirt.mjs, the unit tests): node:fs's write(2), from
 * process.getBuiltinModule, which is no import, so that no chunk of the
 * executable names node:fs (test/unit/hot-chunks.test.ts) nor io.ts: this
 * module is in the entry chunk (issue 11, docs/performance.md "The entry chunk").
 */
function writeAllUnderNode (fd: number, line: string): void {
  const { writeSync } = process.getBuiltinModule('node:fs')
  const bytes = new TextEncoder().encode(line)
  let off = 0
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
    }
  }
}
