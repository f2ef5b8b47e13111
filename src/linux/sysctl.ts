/**
 * linux.sysctl: only keys that belong to a namespace the container has of
 * its own may be set, or the write would change the host (runc's rule).
 */
import { ConfigError } from '../errors.js'

const IPC_KEYS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'])

function namespaceOf (key: string): string | undefined {
  if (IPC_KEYS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc'
  if (key.startsWith('net.')) return 'network'
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts'
  return undefined
}

/** Returns [path under /proc/sys, value] pairs. */
export function planSysctls (sysctl: Record<string, string> | undefined, privateNamespaces: Set<string>): Array<[string, string]> {
  return Object.entries(sysctl ?? {}).map(([key, value]) => {
    const pointer = `/linux/sysctl/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
    if (!/^[A-Za-z0-9_-]+([./][A-Za-z0-9_*:@+-]+)*$/.test(key)) throw new ConfigError('config.json', pointer, `"${key}" is not a sysctl name`)
    const ns = namespaceOf(key)
    if (ns === undefined) throw new ConfigError('config.json', pointer, `${key} is not namespaced; setting it would change the host`)
    if (!privateNamespaces.has(ns)) throw new ConfigError('config.json', pointer, `${key} needs a ${ns} namespace of the container's own`)
    // A dotted key maps dots to slashes; a key given with slashes is already a path.
    return [key.includes('/') ? key : key.replace(/\./g, '/'), value]
  })
}
