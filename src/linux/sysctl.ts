/**
 * linux.sysctl → [path under /proc/sys, value] pairs for the init to write.
 * Which keys are allowed (only those of a namespace the container has of its
 * own) is checked with the config, in src/spec/semantic.ts.
 */
import { statSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { Spec } from '../spec/types.js'
import { pointerTo } from '../spec/json-pointer.js'

export function planSysctls (sysctl: Record<string, string> | undefined): Array<[string, string]> {
  // A dotted key maps dots to slashes; a key given with slashes is already a path (sysctl(8)).
  return Object.entries(sysctl ?? {}).map(([key, value]) => [key.includes('/') ? key : key.replace(/\./g, '/'), value])
}

/** The namespace type whose sysctls a key sets; semantic.ts has already refused the others. */
function namespaceOfSysctl (key: string): 'ipc' | 'network' | 'uts' | undefined {
  const name = key.includes('/') ? key.split('/').join('.') : key
  if (name.startsWith('net.')) return 'network'
  if (name.startsWith('fs.mqueue.') || name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name === 'kernel.sem') return 'ipc'
  if (name === 'kernel.domainname' || name === 'kernel.hostname') return 'uts'
  return undefined
}

const NS_FILE: Record<'ipc' | 'network' | 'uts', string> = { ipc: 'ipc', network: 'net', uts: 'uts' }

/**
 * A namespace "of its own" may be the host's, joined by path (e.g.
 * /proc/1/ns/net, or a bind mount of it): writing a sysctl there changes the
 * host. As runc does for the network namespace, compare the joined
 * namespace with our own (device and inode of the nsfs file) and refuse.
 */
export function checkSysctlNamespaces (spec: Spec): void {
  const sysctl = spec.linux?.sysctl
  if (sysctl === undefined) return
  const joined = new Map<string, string>()
  for (const ns of spec.linux?.namespaces ?? []) if (ns.path !== undefined && ns.path !== '') joined.set(ns.type, ns.path)
  const sameAsOurs = new Map<string, boolean>()
  for (const key of Object.keys(sysctl)) {
    const type = namespaceOfSysctl(key)
    if (type === undefined) continue
    const path = joined.get(type)
    if (path === undefined) continue
    let same = sameAsOurs.get(type)
    if (same === undefined) {
      try {
        const theirs = statSync(path)
        const ours = statSync(`/proc/self/ns/${NS_FILE[type]}`)
        same = theirs.dev === ours.dev && theirs.ino === ours.ino
      } catch {
        same = false // a missing namespace file fails when it is joined, with its own message
      }
      sameAsOurs.set(type, same)
    }
    if (same) {
      throw new ConfigError('config.json', pointerTo('/linux/sysctl', key), `"${key}" would change the host: the ${type} namespace joined at ${path} is the runtime's own`)
    }
  }
}
