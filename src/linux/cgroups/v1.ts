/**
 * cgroup v1: one hierarchy per controller (or co-mounted group), each with
 * its own directory for the container; on a hybrid host the empty cgroup2
 * hierarchy at /sys/fs/cgroup/unified (key "") holds the container too
 * (hierarchy.ts). runc's fs manager.
 */
import { readFileSync } from '../io.js'
import { join } from '../path.js'
import type { LinuxResources } from '../../spec/types.js'
import type { Hierarchy } from './hierarchy.js'
import type { ContainerCgroup, Placement } from './manager.js'
import { CgroupfsManager, readCgroupFile, writeCgroupFile } from './manager.js'
import type { CgroupWrite } from './resources.js'
import type { PointedRule } from './devices.js'
import { v1DeviceWrites } from './devices.js'
import type { MemoryEntry, Stats } from './stats.js'
import { hasFreezer, isFrozen, setFrozen, v1ControllerDir } from './existing.js'
import { hugetlbStats, keyed, num, NS_PER_SEC } from './stats.js'

/** The kernel's USER_HZ: cpuacct.stat counts in its ticks. */
const USER_HZ = 100

export class V1Manager extends CgroupfsManager {
  readonly version = 1 as const

  /**
   * A new cpuset cgroup starts with no CPUs and no memory nodes, and takes
   * no task until it has some (ENOSPC): give each empty level its parent's.
   * Also a parent that exists but was left empty (made by hand, or by a
   * runtime that does not fill it), as runc's ensureParent.
   */
  protected override prepareLevel (h: Hierarchy, dir: string): void {
    if (!h.controllers.includes('cpuset')) return
    const parent = dir.slice(0, dir.lastIndexOf('/'))
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      let value = readFileSync(join(dir, file), 'utf8').trim()
      if (value === '') {
        value = this.cpusetValues.get(join(parent, file)) ?? readFileSync(join(parent, file), 'utf8').trim()
        writeCgroupFile(join(dir, file), value)
      }
      this.cpusetValues.set(join(dir, file), value)
    }
  }

  /** The cpuset files of the levels prepareLevel has seen, by path: the level below reads its parent's value from here, not from the kernel again. */
  private readonly cpusetValues = new Map<string, string>()

  resourceWrites (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] } {
    return this.resourceWritesOf(resources, source)
  }

  deviceWrites (rules: PointedRule[]): CgroupWrite[] {
    return v1DeviceWrites(rules)
  }

  /**
   * How a new process gets into the container's cgroup without waiting.
   * Moving a process with cgroup.procs takes cgroup_threadgroup_rwsem for
   * writing, which waits for an RCU grace period (10-20 ms measured here,
   * per create and per exec). So in v1 hierarchies the stage,
   * single-threaded, moves itself by writing "0" to each `tasks` file, which
   * moves one thread and takes no such lock (kernel/cgroup/cgroup.c
   * cgroup_procs_write_start: the lock is needed only for a pid or a whole
   * thread group); in the cgroup2 hierarchy of a hybrid host clone3 creates
   * the stage in its cgroup (CLONE_INTO_CGROUP), with cgroup.procs the
   * fallback for kernels before 5.7. The init and exec'd processes are
   * cloned by the stage and inherit its cgroups.
   */
  placement (c: ContainerCgroup): Placement {
    const cgroup2 = c.dirs['']
    const tasks = Object.entries(c.dirs).filter(([key]) => key !== '').map(([, dir]) => join(dir, 'tasks'))
    return { cgroupProcs: cgroup2 !== undefined ? [join(cgroup2, 'cgroup.procs')] : [], cloneIntoCgroup: cgroup2, selfPlaceTasks: tasks }
  }

  dirFor (c: ContainerCgroup, controller: string): string | undefined {
    return v1ControllerDir(c, controller)
  }

  applyDeviceRules (c: ContainerCgroup, rules: PointedRule[], source = 'config.json'): void {
    this.applyWrites(c, v1DeviceWrites(rules), source)
  }

  memoryUsage (c: ContainerCgroup): number | undefined {
    const dir = this.dirFor(c, 'memory')
    return dir === undefined ? undefined : Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8'))
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
    const cpuacct = this.dirFor(c, 'cpuacct')
    const cpu = this.dirFor(c, 'cpu')
    const memory = this.dirFor(c, 'memory')
    const pids = this.dirFor(c, 'pids')
    const hugetlb = this.dirFor(c, 'hugetlb')
    const ticks = keyed(readCgroupFile(cpuacct, 'cpuacct.stat'))
    const throttle = keyed(readCgroupFile(cpu, 'cpu.stat'))
    const entry = (prefix: string): MemoryEntry => ({
      limit: num(readCgroupFile(memory, `${prefix}limit_in_bytes`)) ?? 0,
      usage: num(readCgroupFile(memory, `${prefix}usage_in_bytes`)),
      max: num(readCgroupFile(memory, `${prefix}max_usage_in_bytes`)),
      failcnt: num(readCgroupFile(memory, `${prefix}failcnt`)) ?? 0,
    })
    const raw = keyed(readCgroupFile(memory, 'memory.stat'))
    return {
      cpu: {
        usage: {
          total: num(readCgroupFile(cpuacct, 'cpuacct.usage')),
          percpu: readCgroupFile(cpuacct, 'cpuacct.usage_percpu')?.split(/\s+/).filter(Boolean).map(Number),
          kernel: (ticks.system ?? 0) * (NS_PER_SEC / USER_HZ),
          user: (ticks.user ?? 0) * (NS_PER_SEC / USER_HZ),
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
      pids: { current: num(readCgroupFile(pids, 'pids.current')), limit: num(readCgroupFile(pids, 'pids.max')) },
      blkio: {},
      hugetlb: hugetlbStats(hugetlb, (size, usageFile) => ({
        usage: num(readCgroupFile(hugetlb, usageFile)),
        max: num(readCgroupFile(hugetlb, `hugetlb.${size}.max_usage_in_bytes`)),
        failcnt: num(readCgroupFile(hugetlb, `hugetlb.${size}.failcnt`)) ?? 0,
      })),
      intel_rdt: {},
      network_interfaces: null,
    }
  }

  /** memory.oom_control's oom_kill counter. */
  oomKillCount (c: ContainerCgroup): number {
    return keyed(readCgroupFile(this.dirFor(c, 'memory'), 'memory.oom_control')).oom_kill ?? 0
  }
}
