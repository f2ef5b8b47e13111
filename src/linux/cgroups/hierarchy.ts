/**
 * Where the host's cgroups are: one cgroup2 hierarchy (unified mode) or the
 * v1 hierarchies, each with its controllers, its mount point and the cgroup
 * the calling process is in. Read from /proc/self/mountinfo and
 * /proc/self/cgroup on every call: they are small, and a runtime that runs
 * for a few milliseconds has nothing to cache them for.
 *
 * On a hybrid host (v1 controllers plus an empty cgroup2 at
 * /sys/fs/cgroup/unified) the v1 hierarchies hold the limits, and the
 * container gets a cgroup in the cgroup2 one as well (key "", no
 * controllers), as runc's fs manager does: tools that read the "0::" line of
 * /proc/PID/cgroup (systemd, cAdvisor, BPF programs keyed by cgroup) find
 * the container there, not at the root.
 */
import { existsSync, readFileSync } from '../io.js'
import { join, relative } from '../path.js'

export interface Hierarchy {
  /** v1: the controllers (and "name=x" for a named hierarchy); v2: the one key "". */
  controllers: string[]
  /** Key that names this hierarchy in a container's stored cgroup paths: e.g. "memory", "cpu,cpuacct", "name=systemd"; "" on v2. */
  key: string
  mountPoint: string
  /** The cgroup path (from the hierarchy's root) of what is mounted at mountPoint. */
  mountRoot: string
  /** The cgroup path of the calling process in this hierarchy. */
  ownPath: string
}

export interface CgroupLayout {
  version: 1 | 2
  hierarchies: Hierarchy[]
}

/** The host directory of cgroup `path` (absolute in the hierarchy) in hierarchy `h`. */
export function dirOf (h: Hierarchy, path: string): string {
  return join(h.mountPoint, relative(h.mountRoot, path))
}

export interface CgroupMount { root: string, mountPoint: string, fstype: string, superOptions: string[], device: string }

/** Every cgroup and cgroup2 mount in our mount namespace, from /proc/self/mountinfo. */
export function cgroupMounts (): CgroupMount[] {
  const mounts: CgroupMount[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    // proc(5): mount ID, parent ID, major:minor, root, mount point, ...; then after " - ": fstype, source, super options.
    const [, , device, root, mountPoint] = line.slice(0, sep).split(' ')
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ')
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
    if (device === undefined || root === undefined || mountPoint === undefined) continue
    mounts.push({ root: unescapeMountinfo(root), mountPoint: unescapeMountinfo(mountPoint), fstype, superOptions: superOptions.split(','), device })
  }
  return mounts
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
export function unescapeMountinfo (s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** /proc/self/cgroup: "hierarchy-id:controllers:path" lines → controllers → path. */
export function ownCgroups (): Map<string, string> {
  const own = new Map<string, string>()
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? []
    if (controllers !== undefined && path !== undefined) own.set(controllers, path)
  }
  return own
}

/**
 * What the cgroup code reads of this process's mounts and cgroups. create
 * reads it once and hands it to the rootfs plan (the container's
 * /sys/fs/cgroup) and to the manager: the two read the same host, and
 * mountinfo is read and parsed once instead of twice.
 */
export interface CgroupHostView { mounts: CgroupMount[], own: Map<string, string> }

export function readCgroupHostView (): CgroupHostView {
  return { mounts: cgroupMounts(), own: ownCgroups() }
}

const V1_CONTROLLERS = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc'])

export function detectCgroupLayout ({ mounts, own }: CgroupHostView = readCgroupHostView()): CgroupLayout {
  const unified = mounts.find(m => m.fstype === 'cgroup2' && m.mountPoint === '/sys/fs/cgroup')
  const v1 = mounts.filter(m => m.fstype === 'cgroup')
  if (unified !== undefined || v1.length === 0) {
    const m = unified ?? mounts.find(m => m.fstype === 'cgroup2')
    if (m === undefined) return { version: 2, hierarchies: [] }
    return { version: 2, hierarchies: [{ controllers: [], key: '', mountPoint: m.mountPoint, mountRoot: m.root, ownPath: own.get('') ?? '/' }] }
  }
  const hierarchies: Hierarchy[] = []
  const seen = new Set<string>()
  for (const m of v1) {
    // The same hierarchy may be mounted twice (e.g. cpu and cpuacct symlinked or bound): use the first.
    if (seen.has(m.device)) continue
    seen.add(m.device)
    const controllers = m.superOptions.filter(o => V1_CONTROLLERS.has(o) || o.startsWith('name='))
    if (controllers.length === 0) continue
    // /proc/self/cgroup names the hierarchy by its controllers in the kernel's order; match as sets.
    let ownPath = '/'
    for (const [names, path] of own) {
      const set = names.split(',')
      if (set.length === controllers.length && controllers.every(c => set.includes(c))) ownPath = path
    }
    hierarchies.push({ controllers, key: controllers.join(','), mountPoint: m.mountPoint, mountRoot: m.root, ownPath })
  }
  // runc looks at this one place only (cgroups.IsCgroup2HybridMode).
  const hybrid = mounts.find(m => m.fstype === 'cgroup2' && m.mountPoint === '/sys/fs/cgroup/unified')
  if (hybrid !== undefined) hierarchies.push({ controllers: [], key: '', mountPoint: hybrid.mountPoint, mountRoot: hybrid.root, ownPath: own.get('') ?? '/' })
  return { version: 1, hierarchies }
}

/** Whether systemd manages this host (sd_booted(3)'s test). */
export function systemdRunning (): boolean {
  return existsSync('/run/systemd/system')
}
