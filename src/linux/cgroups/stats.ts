/**
 * `events --stats`: the container's resource usage read from its cgroup,
 * in the JSON shape runc prints (its libcontainer "types.Stats"), so that
 * tools written against `runc events` read ocirt's too. And the OOM-kill
 * counter that the events stream watches.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContainerCgroup } from './manager.js'
import { dirFor } from './manager.js'

function read (dir: string | undefined, file: string): string | undefined {
  if (dir === undefined) return undefined
  try {
    return readFileSync(join(dir, file), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** A number, with "max" and v1's huge "unlimited" values as the largest uint64 runc prints. */
function num (text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  if (text === 'max') return Number.MAX_SAFE_INTEGER
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

/** "key value" lines (memory.stat, cpu.stat, memory.events) → record. */
function keyed (text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.split(/\s+/)
    if (k !== undefined && k !== '' && v !== undefined) out[k] = Number(v)
  }
  return out
}

export interface Stats {
  cpu: { usage: { total?: number, percpu?: number[], kernel: number, user: number }, throttling: { periods?: number, throttled_periods?: number, throttled_time?: number } }
  memory: { cache?: number, usage: MemoryEntry, swap: MemoryEntry, kernel?: MemoryEntry, kernelTCP?: MemoryEntry, raw: Record<string, number> }
  pids: { current?: number, limit?: number }
  blkio: Record<string, unknown>
  hugetlb: Record<string, { usage?: number, max?: number, failcnt: number }>
  intel_rdt: Record<string, unknown>
  network_interfaces: null
}
interface MemoryEntry { limit: number, usage?: number, max?: number, failcnt: number }

export function readStats (c: ContainerCgroup): Stats {
  return c.version === 1 ? statsV1(c) : statsV2(c)
}

const NS_PER_USEC = 1000
const USER_HZ = 100

function statsV1 (c: ContainerCgroup): Stats {
  const cpuacct = dirFor(c, 'cpuacct')
  const cpu = dirFor(c, 'cpu')
  const memory = dirFor(c, 'memory')
  const pids = dirFor(c, 'pids')
  const ticks = keyed(read(cpuacct, 'cpuacct.stat'))
  const throttle = keyed(read(cpu, 'cpu.stat'))
  const entry = (prefix: string): MemoryEntry => ({
    limit: num(read(memory, `${prefix}limit_in_bytes`)) ?? 0,
    usage: num(read(memory, `${prefix}usage_in_bytes`)),
    max: num(read(memory, `${prefix}max_usage_in_bytes`)),
    failcnt: num(read(memory, `${prefix}failcnt`)) ?? 0,
  })
  const raw = keyed(read(memory, 'memory.stat'))
  return {
    cpu: {
      usage: {
        total: num(read(cpuacct, 'cpuacct.usage')),
        percpu: read(cpuacct, 'cpuacct.usage_percpu')?.split(/\s+/).filter(Boolean).map(Number),
        kernel: (ticks.system ?? 0) * (1e9 / USER_HZ),
        user: (ticks.user ?? 0) * (1e9 / USER_HZ),
      },
      throttling: { periods: throttle.nr_periods, throttled_periods: throttle.nr_throttled, throttled_time: throttle.throttled_time },
    },
    memory: {
      cache: raw.cache,
      usage: entry('memory.'),
      swap: entry('memory.memsw.'),
      kernel: entry('memory.kmem.'),
      kernelTCP: entry('memory.kmem.tcp.'),
      raw,
    },
    pids: { current: num(read(pids, 'pids.current')), limit: num(read(pids, 'pids.max')) },
    blkio: {},
    hugetlb: hugetlb(dirFor(c, 'hugetlb'), 1),
    intel_rdt: {},
    network_interfaces: null,
  }
}

function statsV2 (c: ContainerCgroup): Stats {
  const dir = c.dirs['']
  const cpu = keyed(read(dir, 'cpu.stat'))
  const raw = keyed(read(dir, 'memory.stat'))
  const memEvents = keyed(read(dir, 'memory.events'))
  return {
    cpu: {
      usage: { total: (cpu.usage_usec ?? 0) * NS_PER_USEC, kernel: (cpu.system_usec ?? 0) * NS_PER_USEC, user: (cpu.user_usec ?? 0) * NS_PER_USEC },
      throttling: { periods: cpu.nr_periods, throttled_periods: cpu.nr_throttled, throttled_time: cpu.throttled_usec === undefined ? undefined : cpu.throttled_usec * NS_PER_USEC },
    },
    memory: {
      cache: raw.file,
      usage: { limit: num(read(dir, 'memory.max')) ?? 0, usage: num(read(dir, 'memory.current')), max: num(read(dir, 'memory.peak')), failcnt: memEvents.max ?? 0 },
      swap: { limit: num(read(dir, 'memory.swap.max')) ?? 0, usage: num(read(dir, 'memory.swap.current')), failcnt: 0 },
      raw,
    },
    pids: { current: num(read(dir, 'pids.current')), limit: num(read(dir, 'pids.max')) },
    blkio: {},
    hugetlb: hugetlb(dir, 2),
    intel_rdt: {},
    network_interfaces: null,
  }
}

function hugetlb (dir: string | undefined, version: 1 | 2): Stats['hugetlb'] {
  const out: Stats['hugetlb'] = {}
  if (dir === undefined) return out
  let files: string[]
  try { files = readdirSync(dir) } catch { return out }
  for (const f of files) {
    const m = /^hugetlb\.([^.]+)\.(usage_in_bytes|current)$/.exec(f)
    if (m === null) continue
    const size = m[1]
    out[size] = version === 1
      ? { usage: num(read(dir, f)), max: num(read(dir, `hugetlb.${size}.max_usage_in_bytes`)), failcnt: num(read(dir, `hugetlb.${size}.failcnt`)) ?? 0 }
      : { usage: num(read(dir, f)), failcnt: keyed(read(dir, `hugetlb.${size}.events`)).max ?? 0 }
  }
  return out
}

/** How many processes of the cgroup the OOM killer has killed so far (v1 memory.oom_control, v2 memory.events). */
export function oomKillCount (c: ContainerCgroup): number {
  if (c.version === 2) return keyed(read(c.dirs[''], 'memory.events')).oom_kill ?? 0
  return keyed(read(dirFor(c, 'memory'), 'memory.oom_control')).oom_kill ?? 0
}
