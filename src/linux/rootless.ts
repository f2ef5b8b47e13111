/**
 * Running without privilege (runc's "rootless" mode) and, for everyone, what
 * a new user namespace allows: who may write its id maps, and which mounts
 * and devices the kernel refuses in it. Whatever cannot work is refused here,
 * before anything is made, with the JSON path that asks for it.
 *
 * user_namespaces(7) "Defining user and group ID mappings": a parent without
 * CAP_SETUID (CAP_SETGID) in its own user namespace may write only a single
 * line that maps its own effective uid (gid); for the gid map it must first
 * write "deny" to /proc/PID/setgroups (CVE-2014-8989: otherwise a user could
 * drop the groups that deny it access). Anything else goes through the setuid
 * helpers newuidmap/newgidmap (package uidmap), which check /etc/subuid and
 * /etc/subgid, as podman does (runc itself only writes the maps directly).
 */
import { accessSync, constants, readFileSync, statSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { LinuxIDMapping, Spec } from '../spec/types.js'
import { parseMountOptions } from './mount-options.js'
import { containerPath } from './rootfs.js'

const CAP_DAC_OVERRIDE = 1
const CAP_SETGID = 6
const CAP_SETUID = 7
const CAP_SYS_PTRACE = 19
const CAP_SYS_ADMIN = 21

/** Who runs ocirt, as far as the id maps and namespaces care. */
export interface Caller {
  uid: number
  gid: number
  /** The user name of uid (/etc/subuid may name it); looked up in /etc/passwd when needed if absent. */
  name?: string
  /** Effective capabilities in ocirt's own user namespace. */
  capSetuid: boolean
  capSetgid: boolean
  capSysAdmin: boolean
  /** May open the /proc files of a non-dumpable process of ours (CAP_SYS_PTRACE and CAP_DAC_OVERRIDE). */
  capProcAccess: boolean
}

function effectiveCapabilities (): bigint {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find(l => l.startsWith('CapEff:'))
    return line === undefined ? 0n : BigInt(`0x${line.slice('CapEff:'.length).trim()}`)
  } catch {
    return 0n
  }
}

function userName (uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':')
      if (fields.length >= 3 && fields[2] === String(uid)) return fields[0]
    }
  } catch {}
  return undefined
}

export function currentCaller (): Caller {
  const caps = effectiveCapabilities()
  const has = (cap: number): boolean => ((caps >> BigInt(cap)) & 1n) === 1n
  const uid = process.geteuid?.() ?? 0
  return {
    uid,
    gid: process.getegid?.() ?? 0,
    capSetuid: has(CAP_SETUID),
    capSetgid: has(CAP_SETGID),
    capSysAdmin: has(CAP_SYS_ADMIN),
    capProcAccess: has(CAP_SYS_PTRACE) && has(CAP_DAC_OVERRIDE),
  }
}

/** How the parent writes the maps of a new user namespace (fields of InitPlan). */
export interface IdMapPlan {
  uidMapHelper?: string[]
  gidMapHelper?: string[]
  setgroupsDeny: boolean
}

const HELPER_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin']

function findHelper (name: string): string | undefined {
  for (const dir of HELPER_DIRS) {
    const path = `${dir}/${name}`
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

/** The ranges /etc/subuid (or subgid) grants the caller, by name or by number, as shadow's helpers read them. */
export function grantedRanges (text: string, caller: { uid: number, name?: string | undefined }): Array<{ start: number, size: number }> {
  const out: Array<{ start: number, size: number }> = []
  for (const line of text.split('\n')) {
    const [owner, start, size] = line.trim().split(':')
    if (owner === undefined || start === undefined || size === undefined) continue
    if (owner !== String(caller.uid) && (caller.name === undefined || owner !== caller.name)) continue
    if (!/^\d+$/.test(start) || !/^\d+$/.test(size)) continue
    out.push({ start: Number(start), size: Number(size) })
  }
  return out
}

function readOptional (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

interface MapKind {
  key: 'uidMappings' | 'gidMappings'
  id: 'uid' | 'gid'
  cap: string
  helper: 'newuidmap' | 'newgidmap'
  grants: '/etc/subuid' | '/etc/subgid'
}
const UID: MapKind = { key: 'uidMappings', id: 'uid', cap: 'CAP_SETUID', helper: 'newuidmap', grants: '/etc/subuid' }
const GID: MapKind = { key: 'gidMappings', id: 'gid', cap: 'CAP_SETGID', helper: 'newgidmap', grants: '/etc/subgid' }

/**
 * One map: written by the parent (privileged, or the caller's own id alone),
 * or by the helper, whose arguments (after the pid) are returned.
 */
function planOneMap (kind: MapKind, mappings: LinuxIDMapping[], own: number, privileged: boolean, caller: Caller): string[] | undefined {
  if (privileged) return undefined
  const ownOnly = (m: LinuxIDMapping): boolean => m.hostID === own && m.size === 1
  if (mappings.length === 1 && mappings.every(ownOnly)) return undefined
  const where = `/linux/${kind.key}`
  const helper = findHelper(kind.helper)
  if (helper === undefined) {
    throw new ConfigError('config.json', where, `ocirt runs without ${kind.cap} (${kind.id} ${own}): it can map only its own ${kind.id} ` +
      `(one entry {"containerID": 0, "hostID": ${own}, "size": 1}); other ranges need ${kind.helper} (package uidmap) and a grant in ${kind.grants}, ` +
      `and ${kind.helper} is not installed`)
  }
  const name = caller.name ?? userName(caller.uid)
  const granted = grantedRanges(readOptional(kind.grants), { uid: caller.uid, name })
  mappings.forEach((m, i) => {
    if (ownOnly(m)) return
    const end = m.hostID + m.size
    if (granted.some(g => m.hostID >= g.start && end <= g.start + g.size)) return
    const who = name === undefined ? `uid ${caller.uid}` : `${name} (uid ${caller.uid})`
    throw new ConfigError('config.json', `${where}/${i}`, `host ${kind.id}s ${m.hostID}-${end - 1} are not granted to ${who} in ${kind.grants}: ` +
      `without ${kind.cap}, ${kind.helper} maps only granted ranges (and the caller's own ${kind.id})`)
  })
  return [helper, ...mappings.flatMap(m => [String(m.containerID), String(m.hostID), String(m.size)])]
}

function isMapped (id: number, mappings: LinuxIDMapping[]): boolean {
  return mappings.some(m => id >= m.containerID && id < m.containerID + m.size)
}

/**
 * A new user namespace: how its maps are written, and the checks that the
 * ids the container uses exist in it.
 */
export function planIdMaps (spec: Spec, caller: Caller): IdMapPlan {
  const uidMappings = spec.linux?.uidMappings ?? []
  const gidMappings = spec.linux?.gidMappings ?? []
  // The init becomes root of the namespace to set the container up (it
  // creates mount points and files owned by a mapped id), then the user.
  if (!isMapped(0, uidMappings)) throw new ConfigError('config.json', '/linux/uidMappings', 'container uid 0 is not mapped: ocirt sets the container up as root of its user namespace')
  if (!isMapped(0, gidMappings)) throw new ConfigError('config.json', '/linux/gidMappings', 'container gid 0 is not mapped: ocirt sets the container up as root of its user namespace')
  const user = spec.process?.user
  if (user !== undefined) {
    if (!isMapped(user.uid ?? 0, uidMappings)) throw new ConfigError('config.json', '/process/user/uid', `uid ${user.uid ?? 0} is not mapped in /linux/uidMappings`)
    if (!isMapped(user.gid ?? 0, gidMappings)) throw new ConfigError('config.json', '/process/user/gid', `gid ${user.gid ?? 0} is not mapped in /linux/gidMappings`)
    ;(user.additionalGids ?? []).forEach((gid, i) => {
      if (!isMapped(gid, gidMappings)) throw new ConfigError('config.json', `/process/user/additionalGids/${i}`, `gid ${gid} is not mapped in /linux/gidMappings`)
    })
  }
  const uidMapHelper = planOneMap(UID, uidMappings, caller.uid, caller.capSetuid, caller)
  const gidMapHelper = planOneMap(GID, gidMappings, caller.gid, caller.capSetgid, caller)
  // The parent writes the gid map without CAP_SETGID only after "deny"
  // (newgidmap decides setgroups itself).
  const setgroupsDeny = !caller.capSetgid && gidMapHelper === undefined
  if (setgroupsDeny && (user?.additionalGids ?? []).length > 0) {
    throw new ConfigError('config.json', '/process/user/additionalGids', `setgroups is denied in a user namespace whose gid map ocirt writes without CAP_SETGID (gid ${caller.gid}): ` +
      'additional groups need CAP_SETGID, or newgidmap with a grant in /etc/subgid')
  }
  return {
    ...(uidMapHelper !== undefined ? { uidMapHelper } : {}),
    ...(gidMapHelper !== undefined ? { gidMapHelper } : {}),
    setgroupsDeny,
  }
}

const S_IFMT = 0o170000
const DEVICE_TYPES: Readonly<Record<string, number>> = { c: 0o020000, u: 0o020000, b: 0o060000 }

/**
 * What a new user namespace cannot mount, from its JSON path. `newTypes`:
 * the namespaces created new with it; `joinedTypes`: those joined.
 */
export function checkUserNamespaceMounts (spec: Spec, newTypes: ReadonlySet<string>, joinedTypes: ReadonlySet<string>): void {
  // A filesystem tied to a namespace can be mounted only from a user
  // namespace that owns that namespace (proc: pid, sysfs: network, mqueue: ipc).
  const needs: Readonly<Record<string, { ns: string, hint: string }>> = {
    proc: { ns: 'pid', hint: '' },
    sysfs: { ns: 'network', hint: ', or bind the host\'s /sys: {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}' },
    mqueue: { ns: 'ipc', hint: '' },
  }
  const uidMappings = spec.linux?.uidMappings ?? []
  const gidMappings = spec.linux?.gidMappings ?? []
  ;(spec.mounts ?? []).forEach((m, i) => {
    const options = parseMountOptions(m.options)
    if (options.bind || m.type === 'bind') return
    const need = needs[m.type ?? '']
    if (need !== undefined && !newTypes.has(need.ns) && !joinedTypes.has(need.ns)) {
      throw new ConfigError('config.json', `/mounts/${i}`, `${m.type ?? ''} in a new user namespace needs a new ${need.ns} namespace (add {"type": "${need.ns}"} to /linux/namespaces)${need.hint}: ` +
        `the kernel mounts ${m.type ?? ''} only for a ${need.ns} namespace the user namespace owns`)
    }
    // uid=/gid= of tmpfs, devpts...: the kernel refuses an id the namespace does not map (runc's rootless validation).
    ;(m.options ?? []).forEach((option, j) => {
      const match = /^(uid|gid)=(\d+)$/.exec(option)
      if (match === null) return
      const id = Number(match[2])
      const mappings = match[1] === 'uid' ? uidMappings : gidMappings
      if (!isMapped(id, mappings)) {
        throw new ConfigError('config.json', `/mounts/${i}/options/${j}`, `${option}: ${match[1]} ${id} is not mapped in /linux/${match[1]}Mappings`)
      }
    })
  })
}

/**
 * In a user namespace (new or joined) mknod of a device needs CAP_MKNOD in
 * the initial user namespace: the host's node at the same path is
 * bind-mounted instead (as runc does), so it must be there and be that device.
 */
export function checkDevicesBindable (spec: Spec): void {
  const devFromHost = (spec.mounts ?? []).some(m => containerPath(m.destination) === '/dev' && parseMountOptions(m.options).bind)
  if (devFromHost) return
  ;(spec.linux?.devices ?? []).forEach((d, i) => {
    const type = DEVICE_TYPES[d.type]
    if (type === undefined) return // a FIFO needs no privilege: it is made with mknod
    const path = containerPath(d.path)
    const wanted = `${d.type} ${d.major ?? 0}:${d.minor ?? 0}`
    let found = 'nothing'
    try {
      const st = statSync(path)
      const major = Math.floor(st.rdev / 256) & 0xfff
      const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)
      if ((st.mode & S_IFMT) === type && major === (d.major ?? 0) && minor === (d.minor ?? 0)) return
      found = (st.mode & S_IFMT) === type ? `${d.type} ${major}:${minor}` : 'another kind of file'
    } catch {}
    throw new ConfigError('config.json', `/linux/devices/${i}`, 'mknod needs CAP_MKNOD in the initial user namespace: not possible in a user namespace, ' +
      `and the host has ${found} at ${path} to bind-mount instead of ${wanted}`)
  })
}

/**
 * Without CAP_SYS_ADMIN (rootless) every namespace but a user namespace
 * needs one: ocirt's own user namespace would own them and it may not make them.
 */
export function checkUnprivilegedNamespaces (caller: Caller, newTypes: ReadonlySet<string>, joinedTypes: ReadonlySet<string>): void {
  if (caller.capSysAdmin || newTypes.has('user') || joinedTypes.has('user')) return
  throw new ConfigError('config.json', '/linux/namespaces', `ocirt runs without CAP_SYS_ADMIN (uid ${caller.uid}): the container needs a new user namespace ` +
    '(add {"type": "user"} with linux.uidMappings and linux.gidMappings mapping your own uid and gid; `ocirt spec --rootless` writes such a config)')
}
