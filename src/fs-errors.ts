/**
 * A filesystem error that reached main() (node's ErrnoException: code,
 * syscall, path) as one line that names the path and what to do, never
 * "internal error" and a stack trace: these come from the caller's setup
 * (a state root it cannot write, a bundle it cannot read), not from a bug.
 */
import { relative, isAbsolute } from './linux/path.js'
import { errnoReason } from './errors.js'

interface FsError {
  code: string
  syscall: string
  path: string
  message: string
}

function isFsError (e: unknown): e is FsError {
  const x = e as Partial<FsError> | null
  return typeof x === 'object' && x !== null && typeof x.code === 'string' && typeof x.syscall === 'string' && typeof x.path === 'string'
}

function isUnder (path: string, dir: string | undefined): boolean {
  if (dir === undefined) return false
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

const DENIED = new Set(['EACCES', 'EPERM'])

/** The one-line message for a filesystem error, or undefined if `e` is not one. `stateRoot`: the --root in use, if known. */
export function describeFsError (e: unknown, stateRoot: string | undefined): string | undefined {
  if (!isFsError(e)) return undefined
  const what = `${e.syscall} ${e.path}: ${errnoReason(e)}`
  const uid = process.geteuid?.() ?? 0
  if (isUnder(e.path, stateRoot)) {
    if (DENIED.has(e.code)) {
      return `${what}: the state root ${stateRoot ?? ''} is not writable by uid ${uid}; pass --root DIR (a directory of yours) or set XDG_RUNTIME_DIR ` +
        '(the default root is $XDG_RUNTIME_DIR/ocirt for a user other than root and for root of a user namespace)'
    }
    if (e.code === 'EROFS' || e.code === 'ENOSPC' || e.code === 'EDQUOT') return `${what}: the state root ${stateRoot ?? ''} cannot take new files; pass --root DIR on another filesystem`
    return `${what} (in the state root ${stateRoot ?? ''}; --root DIR chooses another)`
  }
  if (DENIED.has(e.code)) return `${what}: uid ${uid} may not access it; fix its owner or mode, or use a path of yours`
  return what
}
