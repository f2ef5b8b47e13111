/**
 * config.md "Process" → what the init does last before exec: rlimits,
 * user and groups, capabilities, no_new_privs, umask, and the program's path.
 */
import { readFileSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { Capabilities, ProcessPlan, Rlimit } from '../native.js'
import type { LinuxCapabilities, Process } from '../spec/types.js'
import { CAPABILITIES } from '../spec/linux-names.js'
import { RLIMITS } from './constants.js'
import { withHome } from './user.js'

/** runc's fallback when the container's env has no PATH. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const RLIM_INFINITY = (1n << 64n) - 1n

export interface ProcessPlanResult {
  process: ProcessPlan
  rlimits: Rlimit[]
  /** Capabilities the kernel does not know, dropped with a warning (config.md: "MUST be logged as a warning"). */
  warnings: string[]
}

let lastCapCache: number | undefined
export function kernelLastCap (): number {
  if (lastCapCache === undefined) {
    try {
      lastCapCache = Number.parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10)
    } catch {
      lastCapCache = CAPABILITIES.length - 1
    }
  }
  return lastCapCache
}

function capabilityMask (names: string[] | undefined, set: string, lastCap: number, warnings: string[]): bigint {
  let mask = 0n
  ;(names ?? []).forEach((name, i) => {
    const bit = CAPABILITIES.indexOf(name)
    if (bit < 0) throw new ConfigError('config.json', `/process/capabilities/${set}/${i}`, `unknown capability "${name}"`)
    if (bit > lastCap) {
      warnings.push(`process.capabilities.${set}: ${name} is not known to this kernel (last is ${CAPABILITIES[lastCap]}); skipped`)
      return
    }
    mask |= 1n << BigInt(bit)
  })
  return mask
}

export function planCapabilities (caps: LinuxCapabilities | undefined, lastCap: number, warnings: string[]): Capabilities {
  // No capabilities object grants none: the safe reading of "kept for the process".
  return {
    bounding: capabilityMask(caps?.bounding, 'bounding', lastCap, warnings),
    effective: capabilityMask(caps?.effective, 'effective', lastCap, warnings),
    inheritable: capabilityMask(caps?.inheritable, 'inheritable', lastCap, warnings),
    permitted: capabilityMask(caps?.permitted, 'permitted', lastCap, warnings),
    ambient: capabilityMask(caps?.ambient, 'ambient', lastCap, warnings),
  }
}

function rlimitValue (v: number): bigint {
  // JSON numbers cannot hold 2^64-1 exactly; anything that large means "unlimited".
  return v >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(Math.trunc(v))
}

export function planProcess (p: Process, rootfs: string): ProcessPlanResult {
  const warnings: string[] = []
  const seen = new Set<string>()
  const rlimits = (p.rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type]
    if (resource === undefined) throw new ConfigError('config.json', `/process/rlimits/${i}/type`, `unknown rlimit "${r.type}" (one of ${Object.keys(RLIMITS).join(', ')})`)
    if (seen.has(r.type)) throw new ConfigError('config.json', `/process/rlimits/${i}/type`, `${r.type} is given more than once (config.md: duplicated entries MUST be an error)`)
    seen.add(r.type)
    const soft = rlimitValue(r.soft)
    const hard = rlimitValue(r.hard)
    if (soft > hard) throw new ConfigError('config.json', `/process/rlimits/${i}`, `soft limit ${r.soft} is above the hard limit ${r.hard}`)
    return { resource, soft, hard }
  })

  const env = withHome(p.env ?? [], rootfs, p.user?.uid ?? 0)
  const pathEntry = [...env].reverse().find(e => e.startsWith('PATH='))
  const lastCap = kernelLastCap()
  return {
    process: {
      args: p.args ?? [],
      env,
      cwd: p.cwd,
      searchPath: (pathEntry !== undefined ? pathEntry.slice(5) : DEFAULT_PATH).split(':'),
      uid: p.user?.uid ?? 0,
      gid: p.user?.gid ?? 0,
      // As runc (docker's --group-add may repeat a gid): each gid once, in the
      // order of its first occurrence; the primary gid stays when listed.
      additionalGids: [...new Set(p.user?.additionalGids ?? [])],
      umask: p.user?.umask ?? 0o022,
      noNewPrivileges: p.noNewPrivileges === true,
      capabilities: planCapabilities(p.capabilities, lastCap, warnings),
      lastCap,
    },
    rlimits,
    warnings,
  }
}
