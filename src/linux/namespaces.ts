/**
 * linux.namespaces → which namespaces the init is cloned into, which it
 * unshares afterwards and which it joins (config-linux.md "Namespaces").
 */
import { ConfigError } from '../errors.js'
import type { Spec, LinuxIDMapping, LinuxNamespaceType } from '../spec/types.js'
import type { InitPlan, NamespaceJoin } from '../native.js'
import {
  CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS,
} from './constants.js'

export const NAMESPACE_FLAGS: Readonly<Record<LinuxNamespaceType, number>> = {
  pid: CLONE_NEWPID,
  network: CLONE_NEWNET,
  mount: CLONE_NEWNS,
  ipc: CLONE_NEWIPC,
  uts: CLONE_NEWUTS,
  user: CLONE_NEWUSER,
  cgroup: CLONE_NEWCGROUP,
  time: CLONE_NEWTIME,
}

/** Joined before the others: a joined user namespace owns what is unshared after it. */
export const JOIN_ORDER: readonly LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount']

/**
 * JOIN_ORDER with pid right after user, for a process that forks after
 * joining (setns on a pid namespace applies to its children only): a hook,
 * or an exec child without the privilege to join pid from the parent.
 */
export const JOIN_ORDER_WITH_PID: readonly LinuxNamespaceType[] = ['user', 'pid', ...JOIN_ORDER.filter(type => type !== 'user')]

/** /proc/PID/ns/<name> of each config namespace type. */
export const PROC_NS_NAME: Readonly<Record<LinuxNamespaceType, string>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
}

/** The init plan's namespace fields (their meaning is documented on InitPlan), and what the planner derives beside them. */
export interface NamespacePlan extends Pick<InitPlan, 'cloneFlags' | 'unshareFlags' | 'joinNamespaces' | 'joinPidNamespace' | 'forkAfterUnshare' | 'timeOffsets' | 'uidMap' | 'gidMap'> {
  /** Types the container gets a namespace of its own for (new or joined), e.g. to check sysctls. */
  privateTypes: Set<LinuxNamespaceType>
  /** Types created new (not joined). */
  newTypes: Set<LinuxNamespaceType>
  /** No mount namespace in the config: the init sets up in a new one, then returns to the runtime's. */
  inheritMountNamespace: boolean
}

export function mapText (mappings: LinuxIDMapping[] | undefined): string {
  return (mappings ?? []).map(m => `${m.containerID} ${m.hostID} ${m.size}\n`).join('')
}

export function planNamespaces (spec: Spec): NamespacePlan {
  const namespaces = spec.linux?.namespaces ?? []
  const newTypes = new Set<LinuxNamespaceType>()
  const joins = new Map<LinuxNamespaceType, string>()
  namespaces.forEach((ns, i) => {
    if (ns.path !== undefined && ns.path !== '') joins.set(ns.type, ns.path)
    else newTypes.add(ns.type)
    if (NAMESPACE_FLAGS[ns.type] === undefined) throw new ConfigError('config.json', `/linux/namespaces/${i}/type`, `unknown namespace type "${ns.type}"`)
  })
  // config-linux.md: without a mount entry the container inherits the
  // runtime's mount namespace. Its rootfs is still set up in a namespace of
  // its own (so nothing is mounted on the host), and the init returns to the
  // runtime's namespace before exec, rooted in a detached copy of that tree.
  const inheritMountNamespace = !newTypes.has('mount') && !joins.has('mount')
  if (inheritMountNamespace && (newTypes.has('user') || joins.has('user'))) {
    throw new ConfigError('config.json', '/linux/namespaces', 'a user namespace needs a mount namespace of its own (add {"type": "mount"})')
  }

  let cloneFlags = 0
  let unshareFlags = 0
  const userJoined = joins.has('user')
  const timeOffsets = Object.keys(spec.linux?.timeOffsets ?? {}).length > 0
  for (const type of inheritMountNamespace ? [...newTypes, 'mount' as const] : newTypes) {
    const flag = NAMESPACE_FLAGS[type]
    if (type === 'cgroup') {
      // Unshared by the child after the parent has placed it in its cgroup,
      // so that the container sees its own cgroup as the root.
      unshareFlags |= flag
    } else if (userJoined || (type === 'time' && timeOffsets)) {
      // Made after joining the user namespace, which must own it; a time
      // namespace with offsets is unshared, its offsets written, then entered by a fork.
      unshareFlags |= flag
    } else {
      cloneFlags |= flag
    }
  }
  // setns and unshare of pid and time namespaces apply to children only: the
  // init forks once more and the child is the container's process.
  const forkAfterUnshare = (unshareFlags & (CLONE_NEWPID | CLONE_NEWTIME)) !== 0
  if (forkAfterUnshare && (cloneFlags & CLONE_NEWPID) !== 0) {
    // The first process exits after the fork: it must not be pid 1 of the
    // container's pid namespace (its exit would kill the namespace). The
    // namespace is unshared with the others, and the fork's child is its pid 1.
    cloneFlags &= ~CLONE_NEWPID
    unshareFlags |= CLONE_NEWPID
  }

  const joinNamespaces: NamespaceJoin[] = []
  for (const type of JOIN_ORDER) {
    const path = joins.get(type)
    if (path !== undefined) joinNamespaces.push({ type: NAMESPACE_FLAGS[type], path })
  }

  const user = newTypes.has('user')
  const linux = spec.linux
  if (user && ((linux?.uidMappings ?? []).length === 0 || (linux?.gidMappings ?? []).length === 0)) {
    throw new ConfigError('config.json', '/linux/uidMappings', 'a new user namespace needs linux.uidMappings and linux.gidMappings')
  }
  return {
    cloneFlags,
    unshareFlags,
    joinNamespaces,
    joinPidNamespace: joins.get('pid') ?? '',
    forkAfterUnshare,
    timeOffsets: Object.entries(spec.linux?.timeOffsets ?? {}).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join(''),
    uidMap: user ? mapText(linux?.uidMappings) : '',
    gidMap: user ? mapText(linux?.gidMappings) : '',
    privateTypes: new Set([...newTypes, ...joins.keys()]),
    newTypes,
    inheritMountNamespace,
  }
}
