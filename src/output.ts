/**
 * Synchronous writes to stdout: ocirt exits with process.exit as soon as a
 * command is done, and an asynchronous write to a pipe could be cut short.
 */
import { writeSync } from './linux/io.js'

/** Only 7-bit characters: a string whose length is its length in UTF-8 bytes. */
const ASCII = /^[\x00-\x7f]*$/

/**
 * A compiled bun's console.log writes at once, and waits out a full or
 * non-blocking pipe, so process.exit right after loses nothing; it prints a
 * single string as it is ('%' included). It needs no addon: --version and help
 * stay 0.44 M instructions cheaper (docs/performance.md "The hot commands
 * without node:fs"). Under node (dist/ocirt.mjs) a pipe may be written
 * asynchronously, so there the addon's write(2) is used.
 */
const CONSOLE_IS_SYNCHRONOUS = process.versions.bun !== undefined

export function print (text: string): void {
  const line = text.endsWith('\n') ? text : `${text}\n`
  if (CONSOLE_IS_SYNCHRONOUS) {
    console.log(line.slice(0, -1))
    return
  }
  // Most output (versions, state JSON, ids) is ASCII, written as a string;
  // other text as UTF-8 bytes from TextEncoder. Not Buffer: a chunk that names
  // Buffer loads bun's node:buffer module, and the first Buffer made costs a
  // process 0.6 M instructions, a quarter of ocirt's start-up (issue 11,
  // docs/performance.md "Start-up").
  if (ASCII.test(line)) {
    writeAll(line.length, off => writeSync(1, off === 0 ? line : line.slice(off)))
    return
  }
  const bytes = new TextEncoder().encode(line)
  writeAll(bytes.length, off => writeSync(1, bytes, off))
}

/** Calls `write` (which returns how many bytes it wrote from `off`) until `length` bytes are out. */
function writeAll (length: number, write: (off: number) => number): void {
  let off = 0
  while (off < length) {
    try {
      off += write(off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
    }
  }
}
