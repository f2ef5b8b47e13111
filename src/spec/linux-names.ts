/**
 * Names that config.json borrows from the Linux kernel and that the schema
 * only constrains by shape (CAP_*, RLIMIT_*): the exact lists the semantic
 * checks accept.
 */

/**
 * Capability names, indexed by capability number (include/uapi/linux/capability.h),
 * up to CAP_CHECKPOINT_RESTORE = 40 (Linux 5.9), the last one defined as of Linux 6.x.
 */
export const CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE' // 40
])

const capabilityNumbers: ReadonlyMap<string, number> = new Map(CAPABILITIES.map((name, number) => [name, number]))

/** The capability number of `name` ("CAP_KILL" -> 5), or undefined if the name is unknown. */
export function capabilityNumber (name: string): number | undefined {
  return capabilityNumbers.get(name)
}

/**
 * Resource names of getrlimit(2). Their numbers differ between architectures
 * (e.g. RLIMIT_NOFILE is 7 on x86 and 5 on MIPS), so only names are kept here.
 */
export const RLIMITS: ReadonlySet<string> = new Set([
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK'
])

/** The clocks a time namespace can offset (time_namespaces(7)). */
export const TIME_NAMESPACE_CLOCKS: ReadonlySet<string> = new Set(['monotonic', 'boottime'])

/** Seccomp actions that return an errno and so accept errnoRet (config-linux.md#seccomp). */
export const SECCOMP_ERRNO_ACTIONS: ReadonlySet<string> = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'])

/** A syscall has at most six arguments: seccomp args[].index is 0 to 5. */
export const SYSCALL_MAX_ARGS = 6

/** HOST_NAME_MAX: sethostname(2) and setdomainname(2) reject longer names. */
export const HOST_NAME_MAX = 64

/** IFNAMSIZ - 1: the longest network interface name. */
export const INTERFACE_NAME_MAX = 15

/** The annotation keys config.md#annotations defines in the reserved org.opencontainers namespace. */
export const SPEC_DEFINED_ANNOTATIONS: ReadonlySet<string> = new Set([
  'org.opencontainers.image.os',
  'org.opencontainers.image.os.version',
  'org.opencontainers.image.os.features',
  'org.opencontainers.image.architecture',
  'org.opencontainers.image.variant',
  'org.opencontainers.image.author',
  'org.opencontainers.image.created',
  'org.opencontainers.image.stopSignal'
])
