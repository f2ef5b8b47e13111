/**
 * The container's cgroup, from config to kernel: pick the manager (once, from
 * the host's layout and --systemd-cgroup), plan (validate what can be
 * validated before anything is made), set up (create, write resources and
 * device rules), and rebuild the manager of a created container from its
 * state.json record for later commands.
 */
import { ConfigError } from '../../errors.js'
import type { LinuxResources, Spec } from '../../spec/types.js'
import type { CgroupLayout } from './hierarchy.js'
import type { CgroupHostView } from './hierarchy.js'
import { detectCgroupLayout } from './hierarchy.js'
import type { CgroupManager, ContainerCgroup } from './manager.js'
import { V1Manager } from './v1.js'
import { V2Manager } from './v2.js'
import { SystemdManager } from './systemd.js'
import type { CgroupWrite } from './resources.js'
import type { PointedRule } from './devices.js'
import { deviceRules } from './devices.js'

export type { CgroupManager, ContainerCgroup } from './manager.js'

/** The manager for new cgroups on a host of this layout: v1 (or hybrid), v2, or with --systemd-cgroup the systemd stub. */
export function cgroupManager (layout: CgroupLayout, systemd: boolean): CgroupManager {
  const cgroupfs = layout.version === 1 ? new V1Manager(layout.hierarchies) : new V2Manager(layout.hierarchies)
  return systemd ? new SystemdManager(cgroupfs, layout.hierarchies) : cgroupfs
}

/**
 * The manager of a container created earlier, from the record state.json
 * keeps (the same record older builds wrote). It acts on the record's
 * directories and reads no host layout.
 */
export function managerFor (cgroup: ContainerCgroup): CgroupManager {
  return cgroup.version === 1 ? new V1Manager([]) : new V2Manager([])
}

export interface CgroupPlan {
  manager: CgroupManager
  writes: CgroupWrite[]
  devices: PointedRule[]
  warnings: string[]
}

/** Everything about the cgroup that can be refused without touching the host. */
export function planCgroup (spec: Spec, systemd = false, host?: CgroupHostView): CgroupPlan {
  const manager = cgroupManager(detectCgroupLayout(host), systemd)
  const { writes, warnings } = manager.resourceWrites(spec.linux?.resources ?? {})
  return { manager, writes, devices: deviceRules(spec.linux?.resources?.devices), warnings }
}

/**
 * Creates the container's cgroup and writes its limits; on failure nothing
 * is left. Rootless (--rootless; by default when not real root, see host-facts.ts), a cgroup that cannot be made is no error
 * when the config asks for no limits: the container stays in its caller's
 * cgroup (runc --rootless does the same); with limits it is. `rootless` is
 * the plan's, the one decision the CLI made (resolveRootless), not decided again here.
 */
export function setUpCgroup (plan: CgroupPlan, cgroupsPath: string | undefined, id: string, warn: (message: string) => void, rootless: boolean): ContainerCgroup | undefined {
  const { manager } = plan
  let cgroup: ContainerCgroup
  try {
    cgroup = manager.create(cgroupsPath, id)
  } catch (e) {
    const denied = /\b(EACCES|EPERM|EROFS)\b|permission denied|read-only file system/i.test((e as Error).message)
    if (rootless && denied) {
      if (plan.writes.length === 0) {
        warn(`no cgroup of its own for the container (rootless): ${(e as Error).message}`)
        return undefined
      }
      throw new ConfigError('config.json', '/linux/resources', 'limits need a cgroup of the container\'s own, which ocirt cannot make without privilege (rootless; ' +
        `a cgroup v1 hierarchy is never delegated): ${(e as Error).message}`)
    }
    throw e
  }
  try {
    manager.applyWrites(cgroup, plan.writes)
    // Device nodes a rootless container can reach are bind mounts of the caller's own: no rules to add
    // (runc ignores the devices controller's errors when rootless).
    if (!rootless) manager.applyDeviceRules(cgroup, plan.devices)
  } catch (e) {
    manager.remove(cgroup)
    throw e
  }
  return cgroup
}

/** `update`: new limits on a live container (the config's, merged with the new ones by the caller). */
export function updateResources (cgroup: ContainerCgroup, resources: LinuxResources, source: string): string[] {
  const manager = managerFor(cgroup)
  const { writes, warnings } = manager.resourceWrites(resources, source)
  manager.applyWrites(cgroup, writes, source, true)
  // New device rules replace the old ones whole (v1: from a reset; v2: a new filter program).
  if (resources.devices !== undefined) manager.applyDeviceRules(cgroup, deviceRules(resources.devices), source)
  return warnings
}
