/**
 * `events --stats`: the container's resource usage read from its cgroup,
 * in the JSON shape runc prints (its libcontainer "types.Stats"), so that
 * tools written against `runc events` read ocirt's too. Each manager reads
 * its own files (V1Manager.stats, V2Manager.stats); the shape and the
 * parsing they share are here.
 */
import { readdirSync } from '../io.js'

export const NS_PER_SEC = 1e9

/** A number, with "max" and v1's huge "unlimited" values as the largest uint64 runc prints. */
export function num (text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  if (text === 'max') return Number.MAX_SAFE_INTEGER
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) → record. */
export function keyed (text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.split(/\s+/)
    if (k !== undefined && k !== '' && v !== undefined) out[k] = Number(v)
  }
  return out
}

export interface Stats {
  cpu: { usage: { total?: number | undefined, percpu?: number[] | undefined, kernel: number, user: number }, throttling: { periods?: number | undefined, throttled_periods?: number | undefined, throttled_time?: number | undefined } }
  memory: { cache?: number | undefined, usage: MemoryEntry, swap: MemoryEntry, kernel?: MemoryEntry, kernelTCP?: MemoryEntry, raw: Record<string, number> }
  pids: { current?: number | undefined, limit?: number | undefined }
  blkio: Record<string, unknown>
  hugetlb: Record<string, HugetlbEntry>
  intel_rdt: Record<string, unknown>
  network_interfaces: null
}
export interface MemoryEntry { limit: number, usage?: number | undefined, max?: number | undefined, failcnt: number }
export interface HugetlbEntry { usage?: number | undefined, max?: number | undefined, failcnt: number }

/**
 * One entry per huge page size the hugetlb controller has (its usage file
 * is hugetlb.SIZE.usage_in_bytes on v1, hugetlb.SIZE.current on v2).
 */
export function hugetlbStats (dir: string | undefined, entry: (size: string, usageFile: string) => HugetlbEntry): Stats['hugetlb'] {
  const out: Stats['hugetlb'] = {}
  if (dir === undefined) return out
  let files: string[]
  try { files = readdirSync(dir) } catch { return out }
  for (const f of files) {
    const size = /^hugetlb\.([^.]+)\.(usage_in_bytes|current)$/.exec(f)?.[1]
    if (size !== undefined) out[size] = entry(size, f)
  }
  return out
}
