/**
 * Errors that ocirt reports to its caller. Every failure the user can cause
 * (bad flags, bad config.json, a container in the wrong state) is an
 * OcirtError: main() prints its message (and logs it to --log) and exits 1,
 * without a stack trace. Anything else is a bug and keeps its stack.
 */
export class OcirtError extends Error {
  override name = 'OcirtError'
}

/** A flag or argument on the command line is wrong. Names the flag. */
export class UsageError extends OcirtError {
  override name = 'UsageError'
}

/**
 * config.json (or a process.json) breaks the schema or a MUST of the spec.
 * `pointer` is the JSON Pointer (RFC 6901) of the offending value, '' for the root.
 * The message reads `config.json: /linux/namespaces/2/type: must be one of ...`.
 */
export class ConfigError extends OcirtError {
  override name = 'ConfigError'
  constructor (readonly file: string, readonly pointer: string, readonly detail: string) {
    super(`${file}: ${pointer === '' ? '/' : pointer}: ${detail}`)
  }
}

/**
 * The errno's words of a failed system call, from node's message ("ENOENT:
 * no such file or directory, open '/x'" gives "no such file or directory");
 * the code where the message has none, or the message of any other error.
 */
export function errnoReason (e: unknown): string {
  const err = e as Partial<NodeJS.ErrnoException> | null | undefined
  if (typeof err?.code !== 'string') return e instanceof Error ? e.message : String(e)
  return (/^[A-Z0-9_]+: ([^,]*)/.exec(err.message ?? '')?.[1] ?? err.code).toLowerCase()
}

/** runc's words for a missing container (moby and containerd's shim match them: docs/clients.md). */
export function containerNotFound (id: string): OcirtError {
  return new OcirtError(`container does not exist: "${id}"`)
}

/**
 * One line for an error ocirt did not expect (runc prints one line for every
 * failure; a stack trace is for --debug): a failed system call reads as Go's
 * does, `open /missing/dir/f: no such file or directory`.
 */
export function errorLine (e: unknown): string {
  const err = e as Partial<NodeJS.ErrnoException> | null | undefined
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
    return `${err.syscall}${err.path !== undefined ? ` ${err.path}` : ''}: ${errnoReason(e)}`
  }
  const message = e instanceof Error ? e.message : String(e)
  return message.split('\n')[0] || (e instanceof Error ? e.name : 'unknown error')
}
