/** Kernel ABI numbers for x86_64/aarch64 Linux (uapi headers), used to build plans. */

export const CLONE_NEWTIME = 0x00000080
export const CLONE_NEWNS = 0x00020000
export const CLONE_NEWCGROUP = 0x02000000
export const CLONE_NEWUTS = 0x04000000
export const CLONE_NEWIPC = 0x08000000
export const CLONE_NEWUSER = 0x10000000
export const CLONE_NEWPID = 0x20000000
export const CLONE_NEWNET = 0x40000000

export const MS_RDONLY = 0x1
export const MS_NOSUID = 0x2
export const MS_NODEV = 0x4
export const MS_NOEXEC = 0x8
export const MS_SYNCHRONOUS = 0x10
export const MS_REMOUNT = 0x20
export const MS_MANDLOCK = 0x40
export const MS_DIRSYNC = 0x80
export const MS_NOSYMFOLLOW = 0x100
export const MS_NOATIME = 0x400
export const MS_NODIRATIME = 0x800
export const MS_BIND = 0x1000
export const MS_MOVE = 0x2000
export const MS_REC = 0x4000
export const MS_SILENT = 0x8000
export const MS_POSIXACL = 0x10000
export const MS_UNBINDABLE = 0x20000
export const MS_PRIVATE = 0x40000
export const MS_SLAVE = 0x80000
export const MS_SHARED = 0x100000
export const MS_RELATIME = 0x200000
export const MS_I_VERSION = 0x800000
export const MS_STRICTATIME = 0x1000000
export const MS_LAZYTIME = 0x2000000

export const MOUNT_ATTR_RDONLY = 0x1
export const MOUNT_ATTR_NOSUID = 0x2
export const MOUNT_ATTR_NODEV = 0x4
export const MOUNT_ATTR_NOEXEC = 0x8
export const MOUNT_ATTR__ATIME = 0x70
export const MOUNT_ATTR_RELATIME = 0x0
export const MOUNT_ATTR_NOATIME = 0x10
export const MOUNT_ATTR_STRICTATIME = 0x20
export const MOUNT_ATTR_NODIRATIME = 0x80
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000

export const S_IFCHR = 0o020000
export const S_IFBLK = 0o060000
export const S_IFIFO = 0o010000

/** getrlimit(2) resources, by the names config.md uses. */
export const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
}

// signal(7) names and numbers are in signals.ts (kill loads them without the tables above).
export { SIGNALS, signalNumber } from './signals.js'
export type { SignalName } from './signals.js'
export { SIGRTMAX, SIGRTMIN } from './os-constants.generated.js'
export { ERRNO } from './errno.generated.js'
