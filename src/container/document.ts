/**
 * Reading the JSON documents the caller names (config.json, `exec
 * --process`, `update --resources`): only a regular file, and only up to a
 * size no real document reaches. /dev/zero or a FIFO named there would
 * otherwise have ocirt read until memory runs out, or block forever.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from '../linux/io.js'
import { errnoReason, OcirtError } from '../errors.js'
import { sleepSync } from '../sleep.js'

/** Far above any real config (a large seccomp profile is ~100 KiB); Go's runc reads whole files, ocirt refuses beyond this. */
export const MAX_DOCUMENT_BYTES = 16 << 20

/**
 * The text of `path`, which must be a regular file of at most
 * MAX_DOCUMENT_BYTES. `what` names it in errors (e.g. "exec --process"),
 * and `shown` is how the file is named there.
 * O_NONBLOCK: opening a FIFO does not wait for a writer, and fstat then
 * tells it from a file.
 */
export function readDocument (path: string, what: string, shown = path): string {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (e) {
    throw new OcirtError(`${what}: cannot read ${shown}: ${errnoReason(e)}`)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new OcirtError(`${what}: ${shown} is not a regular file`)
    if (st.size > MAX_DOCUMENT_BYTES) throw new OcirtError(`${what}: ${shown} is larger than ${MAX_DOCUMENT_BYTES} bytes`)
    return readBounded(fd, `${what}: ${shown}`)
  } finally {
    closeSync(fd)
  }
}

/** Reads fd to its end (stdin for `--resources -`), failing once it passes MAX_DOCUMENT_BYTES. */
export function readBounded (fd: number, what: string): string {
  const chunks: Buffer[] = []
  let total = 0
  const buf = Buffer.allocUnsafe(64 << 10)
  for (;;) {
    let n: number
    try {
      n = readSync(fd, buf, 0, buf.length, null)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      // A non-blocking stdin with nothing yet: wait for it like a blocking read would.
      if (code === 'EAGAIN') { sleepSync(10); continue }
      if (code === 'EISDIR') throw new OcirtError(`${what} is a directory`)
      throw new OcirtError(`${what}: cannot read: ${code ?? (e as Error).message}`)
    }
    if (n === 0) break
    total += n
    if (total > MAX_DOCUMENT_BYTES) throw new OcirtError(`${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`)
    chunks.push(Buffer.from(buf.subarray(0, n)))
  }
  return Buffer.concat(chunks).toString('utf8')
}
