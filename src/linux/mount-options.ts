/**
 * Mount option strings (config.md "Mounts", the table of Linux options) →
 * mount(2) flags, propagation flags, mount_setattr attributes and fs data.
 */
import * as c from './constants.js'

export interface ParsedMountOptions {
  /** MS_* flags for mount(2), without propagation. */
  flags: number
  /** MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, possibly with MS_REC; 0 if none given. */
  propagation: number
  /** Recursive attributes (rro, rnosuid, ...) for mount_setattr(AT_RECURSIVE). */
  attrSet: number
  attrClr: number
  /** Options passed to the filesystem (mode=755, size=64k, ...). */
  data: string[]
  bind: boolean
  recursiveBind: boolean
  /** idmap / ridmap were asked for. */
  idmap: boolean
  /** ridmap: the mapping applies to the submounts of an rbind too. */
  recursiveIdmap: boolean
  /** tmpcopyup: the tmpfs starts with a copy of the directory it covers (config.md: MAY). */
  copyUp: boolean
}

/** option → [flags to set, flags to clear] */
const FLAG_OPTIONS: Readonly<Record<string, [number, number]>> = {
  acl: [c.MS_POSIXACL, 0],
  async: [0, c.MS_SYNCHRONOUS],
  atime: [0, c.MS_NOATIME],
  bind: [c.MS_BIND, 0],
  defaults: [0, 0],
  dev: [0, c.MS_NODEV],
  diratime: [0, c.MS_NODIRATIME],
  dirsync: [c.MS_DIRSYNC, 0],
  exec: [0, c.MS_NOEXEC],
  iversion: [c.MS_I_VERSION, 0],
  lazytime: [c.MS_LAZYTIME, 0],
  loud: [0, c.MS_SILENT],
  mand: [c.MS_MANDLOCK, 0],
  noacl: [0, c.MS_POSIXACL],
  noatime: [c.MS_NOATIME, 0],
  nodev: [c.MS_NODEV, 0],
  nodiratime: [c.MS_NODIRATIME, 0],
  noexec: [c.MS_NOEXEC, 0],
  noiversion: [0, c.MS_I_VERSION],
  nolazytime: [0, c.MS_LAZYTIME],
  nomand: [0, c.MS_MANDLOCK],
  norelatime: [0, c.MS_RELATIME],
  nostrictatime: [0, c.MS_STRICTATIME],
  nosuid: [c.MS_NOSUID, 0],
  nosymfollow: [c.MS_NOSYMFOLLOW, 0],
  rbind: [c.MS_BIND | c.MS_REC, 0],
  relatime: [c.MS_RELATIME, 0],
  remount: [c.MS_REMOUNT, 0],
  ro: [c.MS_RDONLY, 0],
  rw: [0, c.MS_RDONLY],
  silent: [c.MS_SILENT, 0],
  strictatime: [c.MS_STRICTATIME, 0],
  suid: [0, c.MS_NOSUID],
  sync: [c.MS_SYNCHRONOUS, 0],
}

const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = {
  private: c.MS_PRIVATE,
  rprivate: c.MS_PRIVATE | c.MS_REC,
  shared: c.MS_SHARED,
  rshared: c.MS_SHARED | c.MS_REC,
  slave: c.MS_SLAVE,
  rslave: c.MS_SLAVE | c.MS_REC,
  unbindable: c.MS_UNBINDABLE,
  runbindable: c.MS_UNBINDABLE | c.MS_REC,
}

/** option → [attributes to set, attributes to clear], applied recursively (mount_setattr(2)). */
const RECURSIVE_OPTIONS: Readonly<Record<string, [number, number]>> = {
  rro: [c.MOUNT_ATTR_RDONLY, 0],
  rrw: [0, c.MOUNT_ATTR_RDONLY],
  rnosuid: [c.MOUNT_ATTR_NOSUID, 0],
  rsuid: [0, c.MOUNT_ATTR_NOSUID],
  rnodev: [c.MOUNT_ATTR_NODEV, 0],
  rdev: [0, c.MOUNT_ATTR_NODEV],
  rnoexec: [c.MOUNT_ATTR_NOEXEC, 0],
  rexec: [0, c.MOUNT_ATTR_NOEXEC],
  rnodiratime: [c.MOUNT_ATTR_NODIRATIME, 0],
  rdiratime: [0, c.MOUNT_ATTR_NODIRATIME],
  rrelatime: [c.MOUNT_ATTR_RELATIME, c.MOUNT_ATTR__ATIME],
  rnorelatime: [0, 0],
  rnoatime: [c.MOUNT_ATTR_NOATIME, c.MOUNT_ATTR__ATIME],
  ratime: [0, c.MOUNT_ATTR_NOATIME],
  rstrictatime: [c.MOUNT_ATTR_STRICTATIME, c.MOUNT_ATTR__ATIME],
  rnostrictatime: [0, 0],
  rnosymfollow: [c.MOUNT_ATTR_NOSYMFOLLOW, 0],
  rsymfollow: [0, c.MOUNT_ATTR_NOSYMFOLLOW],
}

/** Every option this parser gives a meaning to; `features` lists them. */
export const MOUNT_OPTION_NAMES: readonly string[] = [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(RECURSIVE_OPTIONS), 'tmpcopyup', 'idmap', 'ridmap']

export function parseMountOptions (options: readonly string[] | undefined): ParsedMountOptions {
  const parsed: ParsedMountOptions = {
    flags: 0, propagation: 0, attrSet: 0, attrClr: 0, data: [], bind: false, recursiveBind: false, idmap: false, recursiveIdmap: false, copyUp: false,
  }
  for (const option of options ?? []) {
    const flag = FLAG_OPTIONS[option]
    if (flag !== undefined) {
      parsed.flags = (parsed.flags | flag[0]) & ~flag[1]
      if (option === 'bind' || option === 'rbind') parsed.bind = true
      if (option === 'rbind') parsed.recursiveBind = true
      continue
    }
    const propagation = PROPAGATION_OPTIONS[option]
    if (propagation !== undefined) {
      parsed.propagation = propagation
      continue
    }
    const attr = RECURSIVE_OPTIONS[option]
    if (attr !== undefined) {
      parsed.attrSet = (parsed.attrSet | attr[0]) & ~attr[1]
      parsed.attrClr = (parsed.attrClr | attr[1]) & ~attr[0]
      continue
    }
    if (option === 'idmap' || option === 'ridmap') {
      parsed.idmap = true
      parsed.recursiveIdmap ||= option === 'ridmap'
      continue
    }
    // Not a mount(2) option: the kernel would refuse it (EINVAL). podman asks for it on --read-only's tmpfs mounts.
    if (option === 'tmpcopyup') {
      parsed.copyUp = true
      continue
    }
    parsed.data.push(option)
  }
  return parsed
}
