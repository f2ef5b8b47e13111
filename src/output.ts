/**
 * Synchronous writes to stdout: ocirt exits with process.exit as soon as a
 * command is done, and an asynchronous write to a pipe could be cut short.
 */
import { writeSync } from 'node:fs'

export function print (text: string): void {
  const buf = Buffer.from(text.endsWith('\n') ? text : `${text}\n`)
  let off = 0
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
    }
  }
}
