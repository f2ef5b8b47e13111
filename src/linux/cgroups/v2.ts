/**
 * cgroup v2: one hierarchy, one directory for the container, every
 * controller in it once its ancestors enable it. runc's fs2 manager.
 */
import { readFileSync, writeFileSync } from '../io.js'
import { join } from '../path.js'
import { ConfigError } from '../../errors.js'
import type { LinuxResources } from '../../spec/types.js'
import type { Hierarchy } from './hierarchy.js'
import type { ContainerCgroup, Placement } from './manager.js'
import { CgroupfsManager, levels, readCgroupFile } from './manager.js'
import type { CgroupWrite } from './resources.js'
import type { PointedRule } from './devices.js'
import { compileDeviceFilter } from './device-filter.js'
import { loadNative } from '../../native.js'
import type { Stats } from './stats.js'
import { hasFreezer, isFrozen, setFrozen, unifiedDir } from './existing.js'
import { hugetlbStats, keyed, num } from './stats.js'

/** cpu.stat counts in microseconds; runc prints nanoseconds. */
const NS_PER_USEC = 1000

function controllerEnabled (dir: string, controller: string): boolean {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)
  } catch {
    return false
  }
}

export class V2Manager extends CgroupfsManager {
  readonly version = 2 as const

  /**
   * A controller works in a cgroup only when every ancestor enables it in
   * cgroup.subtree_control. Enable, level by level, all that each one has.
   */
  protected override prepareLeaf (h: Hierarchy, leaf: string): void {
    for (const dir of [h.mountPoint, ...levels(h, leaf).slice(0, -1)]) {
      const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean)
      const enabled = new Set(readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean))
      const missing = available.filter(c => !enabled.has(c))
      if (missing.length > 0) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map(c => `+${c}`).join(' '))
    }
  }

  protected override missingFileReason (dir: string, w: CgroupWrite): string {
    if (!controllerEnabled(dir, w.controller)) return `the ${w.controller} controller is not available in the container's cgroup`
    return super.missingFileReason(dir, w)
  }

  resourceWrites (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] } {
    return this.resourceWritesOf(resources, source)
  }

  /** v2 has no devices controller: the rules are an eBPF program (applyDeviceRules), not files. */
  deviceWrites (_rules: PointedRule[]): undefined {
    return undefined
  }

  /**
   * clone3 creates the sealed stage in the container's cgroup
   * (CLONE_INTO_CGROUP), so nothing waits for the RCU grace period that a
   * move through cgroup.procs costs (10-20 ms measured here); cgroup.procs
   * stays the fallback for kernels before 5.7. The init and exec'd
   * processes are cloned by the stage and inherit its cgroup.
   */
  placement (c: ContainerCgroup): Placement {
    return { cgroupProcs: Object.values(c.dirs).map(d => join(d, 'cgroup.procs')), cloneIntoCgroup: c.dirs[''] }
  }

  dirFor (c: ContainerCgroup, _controller: string): string | undefined {
    return c.dirs['']
  }

  applyDeviceRules (c: ContainerCgroup, rules: PointedRule[], source = 'config.json'): void {
    const program = compileDeviceFilter(rules.map(r => r.rule), { file: source, pointer: '/linux/resources/devices' })
    try {
      loadNative().attachDeviceFilter(unifiedDir(c), program)
    } catch (e) {
      throw new ConfigError(source, '/linux/resources/devices', `attaching the device filter (eBPF) to the container's cgroup: ${(e as Error).message}`)
    }
  }

  memoryUsage (c: ContainerCgroup): number | undefined {
    const dir = c.dirs['']
    return dir === undefined ? undefined : Number(readFileSync(join(dir, 'memory.current'), 'utf8'))
  }

  hasFreezer (c: ContainerCgroup): boolean {
    return hasFreezer(c)
  }

  isFrozen (c: ContainerCgroup): boolean {
    return isFrozen(c)
  }

  setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs?: number): void {
    setFrozen(c, frozen, timeoutMs)
  }

  stats (c: ContainerCgroup): Stats {
    const dir = c.dirs['']
    const cpu = keyed(readCgroupFile(dir, 'cpu.stat'))
    const raw = keyed(readCgroupFile(dir, 'memory.stat'))
    const memEvents = keyed(readCgroupFile(dir, 'memory.events'))
    return {
      cpu: {
        usage: { total: (cpu.usage_usec ?? 0) * NS_PER_USEC, kernel: (cpu.system_usec ?? 0) * NS_PER_USEC, user: (cpu.user_usec ?? 0) * NS_PER_USEC },
        throttling: { periods: cpu.nr_periods, throttled_periods: cpu.nr_throttled, throttled_time: cpu.throttled_usec === undefined ? undefined : cpu.throttled_usec * NS_PER_USEC },
      },
      memory: {
        cache: raw.file,
        usage: { limit: num(readCgroupFile(dir, 'memory.max')) ?? 0, usage: num(readCgroupFile(dir, 'memory.current')), max: num(readCgroupFile(dir, 'memory.peak')), failcnt: memEvents.max ?? 0 },
        swap: { limit: num(readCgroupFile(dir, 'memory.swap.max')) ?? 0, usage: num(readCgroupFile(dir, 'memory.swap.current')), failcnt: 0 },
        raw,
      },
      pids: { current: num(readCgroupFile(dir, 'pids.current')), limit: num(readCgroupFile(dir, 'pids.max')) },
      blkio: {},
      hugetlb: hugetlbStats(dir, (size, usageFile) => ({
        usage: num(readCgroupFile(dir, usageFile)),
        failcnt: keyed(readCgroupFile(dir, `hugetlb.${size}.events`)).max ?? 0,
      })),
      intel_rdt: {},
      network_interfaces: null,
    }
  }

  /** memory.events' oom_kill counter. */
  oomKillCount (c: ContainerCgroup): number {
    return keyed(readCgroupFile(c.dirs[''], 'memory.events')).oom_kill ?? 0
  }
}
