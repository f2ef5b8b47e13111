/**
 * A mount of type "cgroup" (as `runc spec` writes for /sys/fs/cgroup):
 * the container's own cgroups, read from the host's hierarchies.
 *
 * With a cgroup namespace the hierarchies are mounted afresh and show the
 * namespace's root. Without one, the host's hierarchy directories of the
 * cgroups the container is in are bind-mounted, as runc does, so the
 * container never sees its siblings.
 */
import type { CgroupHostView, CgroupMount } from './cgroups/hierarchy.js'
import { readCgroupHostView } from './cgroups/hierarchy.js'
import { basename, dirname, join } from './path.js'
import type { MountStep } from '../native.js'
import { CreateKind, MountOp } from '../generated/plan.js'
import { MS_BIND, MS_RDONLY, MS_REC } from './constants.js'

interface Hierarchy {
  /** Directory name under /sys/fs/cgroup on the host, e.g. "cpu,cpuacct" or "unified". */
  name: string
  mountPoint: string
  fstype: 'cgroup' | 'cgroup2'
  /** Mount options that select the hierarchy for a fresh v1 mount, e.g. "cpu,cpuacct" or "none,name=systemd". */
  selector: string
  /** Path of the mount's root inside the hierarchy (mountinfo field 4). */
  root: string
}

/** The host's cgroup hierarchies mounted under /sys/fs/cgroup. */
function hostHierarchies (mounts: CgroupMount[]): Hierarchy[] {
  const known = new Set(['rw', 'ro', 'nsdelegate', 'memory_recursiveprot', 'clone_children', 'noprefix', 'xattr', 'favordynmods', 'memory_localevents'])
  return mounts
    .filter(m => m.mountPoint === '/sys/fs/cgroup' || dirname(m.mountPoint) === '/sys/fs/cgroup')
    .map(m => ({
      name: basename(m.mountPoint),
      mountPoint: m.mountPoint,
      fstype: m.fstype as Hierarchy['fstype'],
      selector: m.superOptions.filter(o => !known.has(o) && !o.startsWith('release_agent=')).join(','),
      root: m.root,
    }))
}

/** The cgroup path of this process in a hierarchy (/proc/self/cgroup names a v1 one by its controllers). */
function ownCgroupPath (h: Hierarchy, own: Map<string, string>): string {
  const key = h.fstype === 'cgroup2' ? '' : h.selector.split(',').filter(s => s !== 'none').join(',')
  return own.get(key) ?? '/'
}

/**
 * `containerPath` maps the caller's cgroup path in a hierarchy to the
 * container's (linux.cgroupsPath resolved; the parent creates it and places
 * the init there before the init mounts anything).
 */
export function cgroupMountSteps (destination: string, flags: number, cgroupNamespace: boolean, containerPath: (ownPath: string) => string, host: CgroupHostView = readCgroupHostView()): MountStep[] {
  const hierarchies = hostHierarchies(host.mounts)
  const { own } = host
  const readOnly = (flags & MS_RDONLY) !== 0
  const baseFlags = flags & ~MS_RDONLY

  const unified = hierarchies.find(h => h.mountPoint === '/sys/fs/cgroup')
  const hostDir = (h: Hierarchy): string => {
    // ocirt manages the v1 hierarchies and the one of a pure v2 host, and places the container in a hybrid host's cgroup2 too (cgroups/hierarchy.ts).
    const managed = h.fstype === 'cgroup' || h === unified || h.mountPoint === '/sys/fs/cgroup/unified'
    const path = managed ? containerPath(ownCgroupPath(h, own)) : ownCgroupPath(h, own)
    const relative = h.root !== '/' && path.startsWith(h.root) ? path.slice(h.root.length) : path
    return join(h.mountPoint, relative)
  }
  const bindReadOnly = (source: string, target: string): MountStep[] => [
    { op: MountOp.Mount, source, target, flags: MS_BIND | MS_REC, create: CreateKind.Directory },
    { op: MountOp.Remount, target, flags: MS_BIND | baseFlags | (readOnly ? MS_RDONLY : 0) },
  ]

  if (unified !== undefined) {
    // A pure cgroup v2 host.
    if (cgroupNamespace) return [{ op: MountOp.Mount, source: 'cgroup2', fstype: 'cgroup2', target: destination, flags, create: CreateKind.Directory }]
    return bindReadOnly(hostDir(unified), destination)
  }

  // cgroup v1 (or hybrid): a tmpfs with one directory per hierarchy.
  const steps: MountStep[] = [
    { op: MountOp.Mount, source: 'tmpfs', fstype: 'tmpfs', target: destination, flags: baseFlags, data: 'mode=755', create: CreateKind.Directory },
  ]
  for (const h of hierarchies) {
    const target = join(destination, h.name)
    if (cgroupNamespace) {
      steps.push({ op: MountOp.Mount, source: 'cgroup', fstype: h.fstype, target, flags, ...(h.fstype === 'cgroup' ? { data: h.selector } : {}), create: CreateKind.Directory })
    } else {
      steps.push(...bindReadOnly(hostDir(h), target))
    }
    // Co-mounted controllers are reachable by each name, as on the host (cpu → cpu,cpuacct).
    if (h.fstype === 'cgroup' && h.name.includes(',')) {
      for (const alias of h.name.split(',')) {
        steps.push({ op: MountOp.Symlink, source: h.name, target: join(destination, alias) })
      }
    }
  }
  if (readOnly) steps.push({ op: MountOp.Remount, target: destination, flags: baseFlags | MS_RDONLY })
  return steps
}
