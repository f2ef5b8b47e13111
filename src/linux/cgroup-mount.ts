/**
 * A mount of type "cgroup" (as `runc spec` writes for /sys/fs/cgroup):
 * the container's own cgroups, read from the host's hierarchies.
 *
 * With a cgroup namespace the hierarchies are mounted afresh and show the
 * namespace's root. Without one, the host's hierarchy directories of the
 * cgroups the container is in are bind-mounted, as runc does, so the
 * container never sees its siblings.
 */
import { readFileSync } from 'node:fs'
import { basename, posix } from 'node:path'
import type { MountStep } from '../native.js'
import { CreateKind, MountOp } from '../native.js'
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

function unescapeMountinfo (s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** The host's cgroup hierarchies mounted under /sys/fs/cgroup, from /proc/self/mountinfo. */
export function hostHierarchies (mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Hierarchy[] {
  const out: Hierarchy[] = []
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ')
    if (dash < 0) continue
    const fields = line.slice(0, dash).split(' ')
    const [fstype, , superOptions = ''] = line.slice(dash + 3).split(' ')
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
    const mountPoint = unescapeMountinfo(fields[4])
    if (posix.dirname(mountPoint) !== '/sys/fs/cgroup' && mountPoint !== '/sys/fs/cgroup') continue
    const known = new Set(['rw', 'ro', 'nsdelegate', 'memory_recursiveprot', 'clone_children', 'noprefix', 'xattr', 'favordynmods', 'memory_localevents'])
    const selector = superOptions.split(',').filter(o => !known.has(o) && !o.startsWith('release_agent=')).join(',')
    out.push({ name: basename(mountPoint), mountPoint, fstype, selector, root: unescapeMountinfo(fields[3]) })
  }
  return out
}

/** The cgroup path of this process in a hierarchy, from /proc/self/cgroup. */
function ownCgroupPath (h: Hierarchy, procCgroup: string): string {
  for (const line of procCgroup.split('\n')) {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    if (first < 0 || second < 0) continue
    const controllers = line.slice(first + 1, second)
    const path = line.slice(second + 1)
    if (h.fstype === 'cgroup2' ? controllers === '' : controllers !== '' && h.selector.split(',').filter(s => s !== 'none').join(',') === controllers) return path
  }
  return '/'
}

/**
 * `containerPath` maps the caller's cgroup path in a hierarchy to the
 * container's (linux.cgroupsPath resolved; the parent creates it and places
 * the init there before the init mounts anything).
 */
export function cgroupMountSteps (destination: string, flags: number, cgroupNamespace: boolean, containerPath: (ownPath: string) => string): MountStep[] {
  const hierarchies = hostHierarchies()
  const procCgroup = readFileSync('/proc/self/cgroup', 'utf8')
  const readOnly = (flags & MS_RDONLY) !== 0
  const baseFlags = flags & ~MS_RDONLY

  const unified = hierarchies.find(h => h.mountPoint === '/sys/fs/cgroup')
  const hostDir = (h: Hierarchy): string => {
    // ocirt manages the v1 hierarchies, or the one of a pure v2 host; a hybrid host's empty cgroup2 is shown as the caller is in it.
    const managed = h.fstype === 'cgroup' || h === unified
    const own = managed ? containerPath(ownCgroupPath(h, procCgroup)) : ownCgroupPath(h, procCgroup)
    const relative = h.root !== '/' && own.startsWith(h.root) ? own.slice(h.root.length) : own
    return posix.join(h.mountPoint, relative)
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
    const target = posix.join(destination, h.name)
    if (cgroupNamespace) {
      steps.push({ op: MountOp.Mount, source: 'cgroup', fstype: h.fstype, target, flags, data: h.fstype === 'cgroup' ? h.selector : undefined, create: CreateKind.Directory })
    } else {
      steps.push(...bindReadOnly(hostDir(h), target))
    }
    // Co-mounted controllers are reachable by each name, as on the host (cpu → cpu,cpuacct).
    if (h.fstype === 'cgroup' && h.name.includes(',')) {
      for (const alias of h.name.split(',')) {
        steps.push({ op: MountOp.Symlink, source: h.name, target: posix.join(destination, alias) })
      }
    }
  }
  if (readOnly) steps.push({ op: MountOp.Remount, target: destination, flags: baseFlags | MS_RDONLY })
  return steps
}
