/**
 * The root filesystem: root.path, mounts (in the listed order, config.md
 * "Mounts"), /dev with the default devices (config-linux.md "Default
 * Devices") and its symlinks (runtime-linux.md "Dev symbolic links"),
 * and what happens after pivot_root: masked and read-only paths,
 * root.readonly, rootfsPropagation.
 *
 * Every path here is a path inside the container; the init resolves it
 * inside the rootfs and never follows a symlink out of it.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from './io.js'
import { isAbsolute, normalize, resolve } from './path.js'
import { ConfigError } from '../errors.js'
import type { MountStep } from '../native.js'
import { CreateKind, MountOp } from '../generated/plan.js'
import type { LinuxDevice, Mount, Spec } from '../spec/types.js'
import { cgroupMountSteps } from './cgroup-mount.js'
import type { CgroupHostView } from './cgroups/hierarchy.js'
import { unescapeMountinfo } from './cgroups/hierarchy.js'
import * as c from './constants.js'
import { parseMountOptions } from './mount-options.js'
import type { ContainerIdMapping } from './idmap-mount.js'
import { idmappedBindStep } from './idmap-mount.js'

/** A step and where it comes from, for the error message if it fails. */
export interface PlannedStep { step: MountStep, origin: string }

export interface RootfsPlan {
  rootfs: string
  rootPropagation: number
  mountSteps: PlannedStep[]
  postPivotSteps: PlannedStep[]
}

export interface RootfsOptions {
  bundle: string
  /** The user namespace is new: device nodes cannot be made, host nodes are bind-mounted instead. */
  userNamespace: boolean
  cgroupNamespace: boolean
  /** The container's user namespace mapping, for idmap mounts that give none. */
  containerIdMapping?: ContainerIdMapping | undefined
  /** The caller's cgroup path in a hierarchy → the container's (see cgroups/manager.ts). */
  cgroupPath: (ownPath: string) => string
  /** The host's cgroup mounts and this process's cgroups, if the caller has read them; else read here. */
  cgroupHost?: CgroupHostView | undefined
}

const DEFAULT_DEVICES: ReadonlyArray<{ path: string, major: number, minor: number }> = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
]

const DEVICE_TYPE_BITS: Readonly<Record<LinuxDevice['type'], number>> = { c: c.S_IFCHR, u: c.S_IFCHR, b: c.S_IFBLK, p: c.S_IFIFO }

/** config.md: a relative destination "MUST be interpreted as relative to /". */
export function containerPath (destination: string): string {
  return normalize(destination.startsWith('/') ? destination : `/${destination}`)
}

function bindMountSteps (m: Mount, index: number, options: ReturnType<typeof parseMountOptions>, bundle: string, userNamespace: boolean): MountStep[] {
  const source = isAbsolute(m.source ?? '') ? m.source! : resolve(bundle, m.source ?? '')
  let isDirectory: boolean
  try {
    isDirectory = statSync(source).isDirectory()
  } catch (e) {
    throw new ConfigError('config.json', `/mounts/${index}/source`, `${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`)
  }
  const target = containerPath(m.destination)
  const steps: MountStep[] = [{
    // In a user namespace the init, root there, may not reach the source (a
    // 0700 directory of the host's root on the way): the runtime opens it for
    // the init, as runc opens sources before its init enters the namespace.
    op: userNamespace ? MountOp.DetachedBind : MountOp.Mount,
    source,
    target,
    flags: c.MS_BIND | (options.recursiveBind ? c.MS_REC : 0),
    create: isDirectory ? CreateKind.Directory : CreateKind.File,
  }]
  // A bind mount ignores every other flag; they take effect in a remount.
  const extra = options.flags & ~(c.MS_BIND | c.MS_REC | c.MS_REMOUNT)
  if (extra !== 0) steps.push({ op: MountOp.Remount, target, flags: c.MS_BIND | extra })
  return steps
}

function mountSteps (m: Mount, index: number, opts: RootfsOptions): MountStep[] {
  const options = parseMountOptions(m.options)
  if (options.copyUp && m.type !== 'tmpfs') {
    throw new ConfigError('config.json', `/mounts/${index}/options`, `tmpcopyup applies to tmpfs mounts only (type is ${JSON.stringify(m.type ?? '')})`)
  }
  const target = containerPath(m.destination)
  let steps: MountStep[]
  if (options.idmap) {
    steps = [idmappedBindStep(m, index, options, opts.bundle, target, opts.containerIdMapping)]
    // The clone ignores other flags, as a bind mount does; they take effect in a remount.
    const extra = options.flags & ~(c.MS_BIND | c.MS_REC | c.MS_REMOUNT)
    if (extra !== 0) steps.push({ op: MountOp.Remount, target, flags: c.MS_BIND | extra })
  } else if (options.bind || m.type === 'bind') {
    steps = bindMountSteps(m, index, options, opts.bundle, opts.userNamespace)
  } else if (m.type === 'cgroup' || (m.type === 'cgroup2' && m.source !== 'cgroup2')) {
    steps = cgroupMountSteps(target, options.flags, opts.cgroupNamespace, opts.cgroupPath, opts.cgroupHost)
  } else {
    steps = [{
      op: MountOp.Mount,
      source: m.source ?? m.type ?? 'none',
      ...(m.type !== undefined ? { fstype: m.type } : {}),
      target,
      // Read-only comes after pivot_root where it must wait (readOnlyLater).
      flags: readOnlyLater(m) ? options.flags & ~c.MS_RDONLY : options.flags,
      ...(options.data.length > 0 ? { data: options.data.join(',') } : {}),
      create: CreateKind.Directory,
      // runc refuses procfs and sysfs on a symlinked path (CVE-2019-16884 class).
      noSymlinks: m.type === 'proc' || m.type === 'sysfs',
      copyUp: options.copyUp,
    }]
  }
  if (options.propagation !== 0) steps.push({ op: MountOp.Propagate, target, flags: options.propagation })
  if (options.attrSet !== 0 || options.attrClr !== 0) {
    steps.push({ op: MountOp.SetAttr, target, attrSet: options.attrSet, attrClr: options.attrClr, recursive: true })
  }
  return steps
}

/**
 * A tmpfs, or whatever is mounted at /dev, that asks for "ro" is mounted
 * read-write and made read-only after pivot_root, as runc does
 * (mountPropagate, finalizeRootfs): /dev is still to be filled (devices,
 * symlinks, devpts, shm, mqueue, /dev/console), and a tmpfs gets its
 * tmpcopyup copy or the mount points of later mounts.
 */
function readOnlyLater (m: Mount): boolean {
  if (m.type !== 'tmpfs' && containerPath(m.destination) !== '/dev') return false
  const options = parseMountOptions(m.options)
  return !options.bind && m.type !== 'bind' && !options.idmap && (options.flags & c.MS_RDONLY) !== 0
}

function deviceSteps (devices: LinuxDevice[], userNamespace: boolean): PlannedStep[] {
  const configured = new Set(devices.map(d => containerPath(d.path)))
  const all = [
    ...DEFAULT_DEVICES.filter(d => !configured.has(d.path)).map(d => ({ ...d, type: 'c' as const, fileMode: 0o666, uid: 0, gid: 0, origin: `default device ${d.path}` })),
    ...devices.map((d, i) => ({ ...d, origin: `/linux/devices/${i}` })),
  ]
  return all.map(d => {
    const target = containerPath(d.path)
    if (userNamespace && d.type !== 'p') {
      // mknod of a device is not allowed in a user namespace (a FIFO is): bind the host's node, as runc does.
      return { step: { op: MountOp.BindDevice, source: target, target, create: CreateKind.File }, origin: d.origin }
    }
    return {
      step: {
        op: MountOp.Mknod,
        target,
        mode: DEVICE_TYPE_BITS[d.type] | ((d.fileMode ?? 0o666) & 0o7777),
        major: d.major ?? 0,
        minor: d.minor ?? 0,
        uid: d.uid ?? 0,
        gid: d.gid ?? 0,
      },
      origin: d.origin,
    }
  })
}

function isMountOf (m: Mount, destination: string, type: string): boolean {
  return containerPath(m.destination) === destination && m.type === type
}

export function planRootfs (spec: Spec, opts: RootfsOptions): RootfsPlan {
  if (spec.root === undefined) throw new ConfigError('config.json', '/root', 'missing: a Linux container needs root.path')
  const rootfs = resolve(opts.bundle, spec.root.path)
  let rootStat
  try {
    // The rootfs comes with the image: a symlink there would point the mounts, and the
    // dev/ proc/ sys/ directories made for them, at whatever it names on the host.
    if (lstatSync(rootfs).isSymbolicLink()) throw new ConfigError('config.json', '/root/path', `${rootfs}: refusing a rootfs that is a symlink`)
    rootStat = statSync(rootfs)
  } catch (e) {
    if (e instanceof ConfigError) throw e
    throw new ConfigError('config.json', '/root/path', `${rootfs}: no such directory (config.md: a directory MUST exist at root.path)`)
  }
  if (!rootStat.isDirectory()) throw new ConfigError('config.json', '/root/path', `${rootfs}: not a directory`)

  const mounts = spec.mounts ?? []
  const planned: PlannedStep[] = []
  mounts.forEach((m, i) => {
    for (const step of mountSteps(m, i, opts)) planned.push({ step, origin: `/mounts/${i}` })
  })

  // /dev is ours to populate unless it is bound from the host (runc's rule).
  const devFromHost = mounts.some(m => containerPath(m.destination) === '/dev' && parseMountOptions(m.options).bind)
  if (!devFromHost) {
    planned.push(...deviceSteps(spec.linux?.devices ?? [], opts.userNamespace))
    if (mounts.some(m => isMountOf(m, '/proc', 'proc'))) {
      // runtime-linux.md "Dev symbolic links": only if the source exists after the mounts.
      for (const [target, source] of [['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'], ['/dev/stdout', '/proc/self/fd/1'], ['/dev/stderr', '/proc/self/fd/2']] as const) {
        planned.push({ step: { op: MountOp.Symlink, source, target }, origin: 'runtime-linux.md dev symbolic links' })
      }
    }
    if (mounts.some(m => isMountOf(m, '/dev/pts', 'devpts'))) {
      planned.push({ step: { op: MountOp.Symlink, source: 'pts/ptmx', target: '/dev/ptmx' }, origin: 'default device /dev/ptmx' })
    }
  }
  const lateReadOnly = mounts.map((m, i) => ({ m, i })).filter(({ m }) => readOnlyLater(m))
  if (spec.process?.terminal === true && lateReadOnly.some(({ m }) => containerPath(m.destination) === '/dev')) {
    // The terminal's /dev/console is bound after the read-only remount below: its mount point is made now.
    planned.push({ step: { op: MountOp.Mkdir, target: '/dev/console', create: CreateKind.File }, origin: 'config-linux.md /dev/console' })
  }
  if (spec.process?.cwd !== undefined) {
    // runc creates a missing cwd rather than failing.
    planned.push({ step: { op: MountOp.Mkdir, target: spec.process.cwd }, origin: '/process/cwd' })
  }

  const post: PlannedStep[] = []
  for (const { m, i } of lateReadOnly) {
    // MS_BIND: a remount of the mount's own flags only, which a user namespace may do.
    post.push({ step: { op: MountOp.Remount, target: containerPath(m.destination), flags: c.MS_BIND | parseMountOptions(m.options).flags }, origin: `/mounts/${i}` })
  }
  ;(spec.linux?.readonlyPaths ?? []).forEach((path, i) => post.push({ step: { op: MountOp.ReadOnly, target: path }, origin: `/linux/readonlyPaths/${i}` }))
  ;(spec.linux?.maskedPaths ?? []).forEach((path, i) => post.push({ step: { op: MountOp.Mask, target: path }, origin: `/linux/maskedPaths/${i}` }))
  if (spec.root.readonly === true) post.push({ step: { op: MountOp.Remount, target: '/', flags: c.MS_BIND | c.MS_RDONLY }, origin: '/root/readonly' })

  const propagation = rootfsPropagationFlags(spec.linux?.rootfsPropagation)
  if (propagation !== 0) post.push({ step: { op: MountOp.Propagate, target: '/', flags: propagation }, origin: '/linux/rootfsPropagation' })
  return {
    rootfs,
    // runc's prepareRoot: "/" of the new mount namespace gets rootfsPropagation
    // itself, recursive slave if unset. A shared one keeps host mounts and
    // their binds in the host's peer groups (podman -v A:B:rshared); the init
    // then makes the mount that holds the rootfs private, so the rootfs bind
    // and the mounts inside it stay out of the host.
    rootPropagation: propagation !== 0 ? propagation : c.MS_SLAVE | c.MS_REC,
    mountSteps: planned,
    postPivotSteps: post,
  }
}

function rootfsPropagationFlags (value: string | undefined): number {
  switch (value) {
    case undefined: case '': return 0
    case 'private': return c.MS_PRIVATE
    case 'rprivate': return c.MS_PRIVATE | c.MS_REC
    case 'shared': return c.MS_SHARED
    case 'rshared': return c.MS_SHARED | c.MS_REC
    case 'slave': return c.MS_SLAVE
    case 'rslave': return c.MS_SLAVE | c.MS_REC
    case 'unbindable': return c.MS_UNBINDABLE
    case 'runbindable': return c.MS_UNBINDABLE | c.MS_REC
    default: throw new ConfigError('config.json', '/linux/rootfsPropagation', `must be one of private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable (got "${value}")`)
  }
}

/**
 * --no-pivot (runc's msMoveRoot): with MS_MOVE and chroot instead of
 * pivot_root, the host's mounts stay in the container's mount namespace. A
 * full procfs or sysfs among them lets a process of the container mount a
 * fresh, unmasked one in a user namespace of its own (the kernel allows it
 * when such a mount is fully visible in the namespace): these are detached
 * before the move. Mount points outside the rootfs, deepest first.
 */
export function hostPseudoFilesystems (rootfs: string): string[] {
  const root = realpathSync(rootfs)
  const found: string[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    // proc(5) mountinfo: field 4 is the root of the mount in its filesystem, field 5 the mount point.
    const [, , , fsRoot, mountPointField] = line.slice(0, sep).split(' ')
    const fstype = line.slice(sep + 3).split(' ')[0]
    if (fsRoot === undefined || mountPointField === undefined) continue
    if ((fstype !== 'proc' && fstype !== 'sysfs') || unescapeMountinfo(fsRoot) !== '/') continue
    const mountPoint = unescapeMountinfo(mountPointField)
    if (mountPoint === root || mountPoint.startsWith(`${root}/`)) continue
    found.push(mountPoint)
  }
  return found.sort((a, b) => b.length - a.length)
}
