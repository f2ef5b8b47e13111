/**
 * The container's cgroup, from config to kernel: plan (validate what can be
 * validated before anything is made), set up (create, write resources and
 * device rules), and the handle later commands read from state.json.
 */
import { ConfigError } from '../../errors.js'
import type { LinuxResources, Spec } from '../../spec/types.js'
import type { CgroupLayout } from './hierarchy.js'
import { detectCgroupLayout } from './hierarchy.js'
import type { ContainerCgroup } from './manager.js'
import { applyWrites, createCgroup, removeCgroup } from './manager.js'
import type { CgroupWrite } from './resources.js'
import { resourceWrites } from './resources.js'
import type { PointedRule } from './devices.js'
import { deviceRules, v1DeviceWrites } from './devices.js'
import { compileDeviceFilter } from './device-filter.js'
import { loadNative } from '../../native.js'

export type { ContainerCgroup } from './manager.js'

export interface CgroupPlan {
  layout: CgroupLayout
  writes: CgroupWrite[]
  devices: PointedRule[]
  warnings: string[]
}

/** Everything about the cgroup that can be refused without touching the host. */
export function planCgroup (spec: Spec): CgroupPlan {
  const layout = detectCgroupLayout()
  const { writes, warnings } = resourceWrites(layout.version, spec.linux?.resources ?? {})
  return { layout, writes, devices: deviceRules(spec.linux?.resources?.devices), warnings }
}

/**
 * Creates the container's cgroup and writes its limits; on failure nothing
 * is left. Rootless (--rootless; by default when not real root, see host-facts.ts), a cgroup that cannot be made is no error
 * when the config asks for no limits: the container stays in its caller's
 * cgroup (runc --rootless does the same); with limits it is. `rootless` is
 * the plan's, the one decision the CLI made (resolveRootless), not decided again here.
 */
export function setUpCgroup (plan: CgroupPlan, cgroupsPath: string | undefined, id: string, systemd: boolean, warn: (message: string) => void, rootless: boolean): ContainerCgroup | undefined {
  let cgroup: ContainerCgroup
  try {
    cgroup = createCgroup(plan.layout, cgroupsPath, id, systemd)
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
    applyWrites(cgroup, plan.writes)
    // Device nodes a rootless container can reach are bind mounts of the caller's own: no rules to add
    // (runc ignores the devices controller's errors when rootless).
    if (!rootless) applyDeviceRules(cgroup, plan.devices)
  } catch (e) {
    removeCgroup(cgroup)
    throw e
  }
  return cgroup
}

export function applyDeviceRules (cgroup: ContainerCgroup, rules: PointedRule[], source = 'config.json'): void {
  if (cgroup.version === 1) {
    applyWrites(cgroup, v1DeviceWrites(rules), source)
    return
  }
  // v2 has no devices controller: the rules become an eBPF program attached to the cgroup.
  const program = compileDeviceFilter(rules.map(r => r.rule), { file: source, pointer: '/linux/resources/devices' })
  try {
    loadNative().attachDeviceFilter(cgroup.dirs[''], program)
  } catch (e) {
    throw new ConfigError(source, '/linux/resources/devices', `attaching the device filter (eBPF) to the container's cgroup: ${(e as Error).message}`)
  }
}

/** `update`: new limits on a live container (the config's, merged with the new ones by the caller). */
export function updateResources (cgroup: ContainerCgroup, resources: LinuxResources, source: string): string[] {
  const { writes, warnings } = resourceWrites(cgroup.version, resources, source)
  applyWrites(cgroup, writes, source, true)
  // New device rules replace the old ones whole (v1: from a reset; v2: a new filter program).
  if (resources.devices !== undefined) applyDeviceRules(cgroup, deviceRules(resources.devices), source)
  return warnings
}
