/**
 * --systemd-cgroup: runc's systemd manager asks systemd (over D-Bus) to make
 * the container's scope unit, and systemd makes the cgroup. This build has
 * no D-Bus client: planning or creating a cgroup through this manager is
 * refused on every host, with words that say why and what to do instead
 * (tests and clients read them). No container is ever created with it, so
 * state.json never names it; the operations on an existing cgroup are the
 * cgroupfs manager's, as runc's systemd manager also reads and writes the
 * cgroup files itself.
 */
import { ConfigError, OcirtError } from '../../errors.js'
import type { LinuxResources } from '../../spec/types.js'
import type { CgroupManager, ContainerCgroup, Placement } from './manager.js'
import type { Hierarchy } from './hierarchy.js'
import { systemdRunning } from './hierarchy.js'
import type { CgroupWrite } from './resources.js'
import type { PointedRule } from './devices.js'
import type { Stats } from './stats.js'

/** With the flag, cgroupsPath is systemd's "slice:prefix:name" (runc's systemd manager). */
function refuseSystemd (cgroupsPath: string | undefined): never {
  if (cgroupsPath !== undefined && cgroupsPath.split(':').length !== 3) {
    throw new ConfigError('config.json', '/linux/cgroupsPath', `with --systemd-cgroup it must be "slice:prefix:name", not "${cgroupsPath}"`)
  }
  if (!systemdRunning()) throw new OcirtError('--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); leave the flag out to manage cgroups directly')
  throw new OcirtError('--systemd-cgroup: creating cgroups through systemd is not supported yet by this build of ocirt; leave the flag out to manage cgroups directly')
}

export class SystemdManager implements CgroupManager {
  readonly version: 1 | 2

  /** `cgroupfs`: the host's own manager, for what does not go through systemd. */
  constructor (private readonly cgroupfs: CgroupManager, private readonly hierarchies: readonly Hierarchy[]) {
    this.version = cgroupfs.version
  }

  /** A host with no hierarchy mounted has nothing to plan (create says so), as before this manager existed. */
  planned (cgroupsPath: string | undefined, id: string): ContainerCgroup {
    if (this.hierarchies.length > 0) refuseSystemd(cgroupsPath)
    return this.cgroupfs.planned(cgroupsPath, id)
  }

  create (cgroupsPath: string | undefined, id: string): ContainerCgroup {
    if (this.hierarchies.length > 0) refuseSystemd(cgroupsPath)
    return this.cgroupfs.create(cgroupsPath, id)
  }

  resourceWrites (resources: LinuxResources, source?: string): { writes: CgroupWrite[], warnings: string[] } { return this.cgroupfs.resourceWrites(resources, source) }
  deviceWrites (rules: PointedRule[]): CgroupWrite[] | undefined { return this.cgroupfs.deviceWrites(rules) }
  placement (c: ContainerCgroup): Placement { return this.cgroupfs.placement(c) }
  dirFor (c: ContainerCgroup, controller: string): string | undefined { return this.cgroupfs.dirFor(c, controller) }
  applyWrites (c: ContainerCgroup, writes: CgroupWrite[], source?: string, atomic?: boolean): void { this.cgroupfs.applyWrites(c, writes, source, atomic) }
  applyDeviceRules (c: ContainerCgroup, rules: PointedRule[], source?: string): void { this.cgroupfs.applyDeviceRules(c, rules, source) }
  memoryUsage (c: ContainerCgroup): number | undefined { return this.cgroupfs.memoryUsage(c) }
  hasFreezer (c: ContainerCgroup): boolean { return this.cgroupfs.hasFreezer(c) }
  isFrozen (c: ContainerCgroup): boolean { return this.cgroupfs.isFrozen(c) }
  setFrozen (c: ContainerCgroup, frozen: boolean, timeoutMs?: number): void { this.cgroupfs.setFrozen(c, frozen, timeoutMs) }
  pids (c: ContainerCgroup): number[] { return this.cgroupfs.pids(c) }
  stats (c: ContainerCgroup): Stats { return this.cgroupfs.stats(c) }
  oomKillCount (c: ContainerCgroup): number { return this.cgroupfs.oomKillCount(c) }
  remove (c: ContainerCgroup): void { this.cgroupfs.remove(c) }
  exists (c: ContainerCgroup): boolean { return this.cgroupfs.exists(c) }
}
