/**
 * The global flags whose defaults depend on who runs ocirt: --root and
 * --rootless, with runc's rules.
 */
import { isAbsolute, join } from 'node:path'
import { UsageError } from '../errors.js'

export const ROOT_STATE_DIR = '/run/ocirt'

function effectiveUid (): number {
  return process.geteuid?.() ?? 0
}

/**
 * --root when not given. root: /run/ocirt. Anyone else cannot write /run,
 * and gets $XDG_RUNTIME_DIR/ocirt, as runc uses $XDG_RUNTIME_DIR/runc (the
 * user's private runtime dir, /run/user/UID under systemd-logind).
 */
export function defaultStateRoot (env: NodeJS.ProcessEnv = process.env, uid = effectiveUid()): string {
  if (uid === 0) return ROOT_STATE_DIR
  const runtimeDir = env.XDG_RUNTIME_DIR ?? ''
  if (runtimeDir === '' || !isAbsolute(runtimeDir)) {
    throw new UsageError(`no directory for the state of containers: ocirt runs as uid ${uid} (not root), whose default --root is $XDG_RUNTIME_DIR/ocirt, ` +
      `and XDG_RUNTIME_DIR is ${runtimeDir === '' ? 'not set' : `not an absolute path ("${runtimeDir}")`}; set it or pass --root DIR`)
  }
  return join(runtimeDir, 'ocirt')
}

/**
 * --rootless true|false|auto (runc's flag): whether ocirt lacks privilege
 * over cgroups. auto (the default), as runc: when the effective uid is not 0.
 */
export function resolveRootless (flag: string | undefined, uid = effectiveUid()): boolean {
  switch (flag ?? 'auto') {
    case 'true': return true
    case 'false': return false
    case 'auto': return uid !== 0
    default: throw new UsageError(`flag --rootless must be true, false or auto, not "${flag ?? ''}"`)
  }
}
