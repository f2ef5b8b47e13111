/**
 * The container's cgroup, from config to kernel: pick the manager (once, from
 * the host's layout and --systemd-cgroup), plan (validate what can be
 * validated before anything is made), set up (create, write resources and
 * device rules), and rebuild the manager of a created container from its
 * state.json record for later commands.
 */
import { accessSync, constants } from '../io.js'
import { join, relative } from '../path.js'
import { ConfigError, errnoReason } from '../../errors.js'
import type { LinuxResources, Spec } from '../../spec/types.js'
import type { CgroupHostView, CgroupLayout, Hierarchy } from './hierarchy.js'
import { detectCgroupLayout } from './hierarchy.js'
import type { CgroupManager, ContainerCgroup, Placement } from './manager.js'
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
  /** The host's hierarchies the manager was made for (read once per create). */
  hierarchies: readonly Hierarchy[]
  writes: CgroupWrite[]
  devices: PointedRule[]
  warnings: string[]
}

/** Everything about the cgroup that can be refused without touching the host. */
export function planCgroup (spec: Spec, systemd = false, host?: CgroupHostView): CgroupPlan {
  const layout = detectCgroupLayout(host)
  const manager = cgroupManager(layout, systemd)
  const { writes, warnings } = manager.resourceWrites(spec.linux?.resources ?? {})
  return { manager, hierarchies: layout.hierarchies, writes, devices: deviceRules(spec.linux?.resources?.devices), warnings }
}

/**
 * Creates the container's cgroup and writes its limits; on failure nothing
 * is left. Rootless (--rootless; by default when not real root, see host-facts.ts), a cgroup that cannot be made or entered is no error
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
    if (rootless && denied) return withoutCgroup(plan, (e as Error).message, warn)
    throw e
  }
  // Made (or found) is not yet enterable. mkdir(2) answers EEXIST before it
  // checks permission, so for a rootless caller create "makes" any cgroup
  // that already exists, root's too. Below a world-writable cgroup of root's
  // the caller's mkdir succeeds, but the kernel also wants write permission
  // on the cgroup2 common ancestor. Either way the stage could not enter
  // (clone3 with CLONE_INTO_CGROUP fails with EACCES): it is the same refusal
  // as a mkdir refused. Root enters as before.
  const unenterable = rootless ? unwritableEntryFile(cgroup, manager.placement(cgroup), plan.hierarchies) : undefined
  if (unenterable !== undefined) {
    manager.remove(cgroup)
    return withoutCgroup(plan, `the cgroup ${cgroup.path} cannot be entered: ${unenterable}`, warn)
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

/**
 * Rootless, with no cgroup of the container's own: none is needed when the
 * config asks for no limits (the container stays in its caller's cgroup, as
 * runc --rootless); with limits it is an error naming /linux/resources.
 */
function withoutCgroup (plan: CgroupPlan, why: string, warn: (message: string) => void): undefined {
  if (plan.writes.length === 0) {
    warn(`no cgroup of its own for the container (rootless): ${why}`)
    return undefined
  }
  throw new ConfigError('config.json', '/linux/resources', 'limits need a cgroup of the container\'s own, which ocirt cannot make without privilege (rootless; ' +
    `a cgroup v1 hierarchy is never delegated): ${why}`)
}

/**
 * The first file whose write permission the kernel checks when the stage
 * enters `cgroup` that this process may not write, as "FILE is not writable:
 * REASON"; undefined when it may write them all. They are the files the
 * placement writes (cgroup.procs, v1's tasks), and in a cgroup2 hierarchy
 * the cgroup.procs of the common ancestor of our cgroup and the target
 * (kernel/cgroup/cgroup.c cgroup_procs_write_permission, which clone3's
 * CLONE_INTO_CGROUP applies too). access(2) checks as the kernel does, the
 * file's mode and owner against our ids (real ones: ocirt's are its caller's).
 */
function unwritableEntryFile (cgroup: ContainerCgroup, placement: Placement, hierarchies: readonly Hierarchy[]): string | undefined {
  const files = [...placement.cgroupProcs, ...(placement.selfPlaceTasks ?? [])]
  for (const h of hierarchies) {
    const dir = cgroup.dirs[h.key]
    if (h.key === '' && dir !== undefined) files.push(join(commonAncestorDir(h, dir), 'cgroup.procs'))
  }
  for (const file of files) {
    try {
      accessSync(file, constants.W_OK)
    } catch (e) {
      return `${file} is not writable: ${errnoReason(e)}`
    }
  }
  return undefined
}

/** The directory of the deepest cgroup that holds both ours and the one at `dir`, no higher than the hierarchy's mount point. */
function commonAncestorDir (h: Hierarchy, dir: string): string {
  const own = relative(h.mountRoot, h.ownPath)
  if (own.startsWith('..')) return h.mountPoint
  const ours = own === '' ? [] : own.split('/')
  const target = relative(h.mountPoint, dir).split('/')
  let common = 0
  while (common < ours.length && common < target.length && ours[common] === target[common]) common++
  return join(h.mountPoint, ...ours.slice(0, common))
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
