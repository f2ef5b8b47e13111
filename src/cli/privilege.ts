/**
 * The global flags whose defaults depend on who runs ocirt: --root and
 * --rootless, with runc's rules. Loaded with a command's module (through
 * cli/support.ts), never by the entry chunk: deciding them reads /proc/self
 * (io.ts and the addon), which --version and help never need.
 */
import { isAbsolute, join } from '../linux/path.js'
import { UsageError } from '../errors.js'
import { type HostFacts, honorsXdgRuntimeDir, hostFacts, rootlessByDefault } from '../linux/host-facts.js'
import { parseRootlessWord } from './rootless-word.js'

export const ROOT_STATE_DIR = '/run/ocirt'

/**
 * --root when not given, as runc's: $XDG_RUNTIME_DIR/ocirt (runc:
 * $XDG_RUNTIME_DIR/runc, the user's private runtime dir) when the caller is
 * not root, or is root of a user namespace (a rootless engine: podman and
 * buildah call the runtime so, without --root); /run/ocirt for real root.
 */
export function defaultStateRoot (env: NodeJS.ProcessEnv = process.env, facts: HostFacts = hostFacts()): string {
  if (honorsXdgRuntimeDir(env, facts)) {
    const runtimeDir = env.XDG_RUNTIME_DIR ?? ''
    if (!isAbsolute(runtimeDir)) {
      throw new UsageError(`no directory for the state of containers: the default --root is $XDG_RUNTIME_DIR/ocirt, and XDG_RUNTIME_DIR is not an absolute path ("${runtimeDir}"); ` +
        'set it or pass --root DIR')
    }
    return join(runtimeDir, 'ocirt')
  }
  if (facts.euid === 0) return ROOT_STATE_DIR
  throw new UsageError(`no directory for the state of containers: ocirt runs as uid ${facts.euid} (not root), whose default --root is $XDG_RUNTIME_DIR/ocirt, ` +
    'and XDG_RUNTIME_DIR is not set; set it or pass --root DIR')
}

/**
 * --rootless true|false|auto (runc's flag): whether ocirt lacks privilege
 * over cgroups. auto (the default) is rootlessByDefault: the caller is not
 * root, or is root of a user namespace (host-facts.ts).
 */
export function resolveRootless (flag: string | undefined, systemdCgroup = false, facts: HostFacts = hostFacts()): boolean {
  const word = parseRootlessWord(flag)
  return word === 'auto' ? rootlessByDefault(systemdCgroup, facts) : word
}
