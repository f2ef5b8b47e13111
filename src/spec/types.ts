/**
 * TypeScript types for the documents of the OCI Runtime Specification v1.3.0:
 * config.json (Spec), the container state (State) and the Features structure.
 *
 * Names follow the Go bindings (runtime-spec specs-go/config.go, state.go,
 * features/features.go) so that code can be read side by side with runc.
 * Every property is optional unless the spec marks it REQUIRED for all
 * platforms; Linux-only requirements (root, process.args, user.uid, ...) are
 * enforced by semantic.ts, not by these types.
 *
 * Integers wider than 2^53 (uint64, int64) arrive from JSON.parse as the
 * nearest double; they are typed as plain numbers.
 */

// ---------------------------------------------------------------- config.md

/** The whole config.json (config.md). */
export interface Spec {
  /** SemVer 2.0.0 version of the spec the bundle complies with (config.md#specification-version). */
  ociVersion: string
  /** The container process; REQUIRED by `start` (runtime.md#start). */
  process?: Process
  /** The root filesystem; REQUIRED on all platforms but Windows (config.md#root). */
  root?: Root
  hostname?: string
  domainname?: string
  /** Additional mounts, mounted in order (config.md#mounts). */
  mounts?: Mount[]
  /** POSIX lifecycle hooks (config.md#posix-platform-hooks). */
  hooks?: Hooks
  /** Arbitrary metadata; keys are non-empty (config.md#annotations). */
  annotations?: Record<string, string>

  linux?: Linux
  solaris?: Solaris
  windows?: Windows
  vm?: VM
  zos?: ZOS
  freebsd?: FreeBSD
}

/** config.md#root */
export interface Root {
  /** Absolute, or relative to the bundle; conventionally "rootfs". */
  path: string
  readonly?: boolean
}

/** config.md#mounts, config.md#posix-platform-mounts */
export interface Mount {
  /** Path inside the container; relative paths are deprecated on Linux and resolved against "/". */
  destination: string
  /** Filesystem type, e.g. "proc", "tmpfs", "bind" (a dummy for bind mounts). */
  type?: string
  /** Device, file or directory; bind sources are absolute or relative to the bundle. */
  source?: string
  /** mount(8) options and filesystem-specific data (config.md#linux-mount-options). */
  options?: string[]
  /** idmapped mount: both or neither of uidMappings/gidMappings. */
  uidMappings?: LinuxIDMapping[]
  gidMappings?: LinuxIDMapping[]
}

/** config.md#process; also the document read by `exec --process`. */
export interface Process {
  terminal?: boolean
  /** Ignored unless terminal is true. */
  consoleSize?: Box
  user?: User
  /** argv; at least one entry is REQUIRED on non-Windows platforms. */
  args?: string[]
  /** Windows only: the full command line. */
  commandLine?: string
  /** KEY=value strings (IEEE Std 1003.1-2008 environ). */
  env?: string[]
  /** Absolute working directory. */
  cwd: string
  /** POSIX rlimits (config.md#posix-process). */
  rlimits?: POSIXRlimit[]
  // Linux (config.md#linux-process)
  capabilities?: LinuxCapabilities
  noNewPrivileges?: boolean
  apparmorProfile?: string
  oomScoreAdj?: number
  scheduler?: Scheduler
  selinuxLabel?: string
  ioPriority?: LinuxIOPriority
  execCPUAffinity?: CPUAffinity
}

/** Console size in characters. */
export interface Box {
  height: number
  width: number
}

/** config.md#user: uid/gid on POSIX platforms, username on Windows. */
export interface User {
  uid?: number
  gid?: number
  /** umask(2) value; unchanged from the caller's if unset. */
  umask?: number
  additionalGids?: number[]
  /** Windows only. */
  username?: string
}

/** Linux resource names as in getrlimit(2). */
export type RlimitType =
  | 'RLIMIT_AS' | 'RLIMIT_CORE' | 'RLIMIT_CPU' | 'RLIMIT_DATA' | 'RLIMIT_FSIZE'
  | 'RLIMIT_LOCKS' | 'RLIMIT_MEMLOCK' | 'RLIMIT_MSGQUEUE' | 'RLIMIT_NICE'
  | 'RLIMIT_NOFILE' | 'RLIMIT_NPROC' | 'RLIMIT_RSS' | 'RLIMIT_RTPRIO'
  | 'RLIMIT_RTTIME' | 'RLIMIT_SIGPENDING' | 'RLIMIT_STACK'

/** An entry of process.rlimits. `type` is a string because Solaris has other names. */
export interface POSIXRlimit {
  type: string
  soft: number
  hard: number
}

/** Capability names, e.g. "CAP_CHOWN" (capabilities(7)). */
export interface LinuxCapabilities {
  bounding?: string[]
  effective?: string[]
  inheritable?: string[]
  permitted?: string[]
  ambient?: string[]
}

export type LinuxSchedulerPolicy =
  | 'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH'
  | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE'

export type LinuxSchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK' | 'SCHED_FLAG_RECLAIM' | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY' | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN' | 'SCHED_FLAG_UTIL_CLAMP_MAX'

/** process.scheduler, applied with sched_setattr(2). */
export interface Scheduler {
  policy: LinuxSchedulerPolicy
  nice?: number
  priority?: number
  flags?: LinuxSchedulerFlag[]
  /** SCHED_DEADLINE only, nanoseconds. */
  runtime?: number
  deadline?: number
  period?: number
}

export type IOPriorityClass = 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE'

/** process.ioPriority, applied with ioprio_set(2). */
export interface LinuxIOPriority {
  class: IOPriorityClass
  /** 0 (highest) to 7 (lowest). */
  priority: number
}

/** process.execCPUAffinity: CPU lists such as "0-3,7"; not applicable to the init process. */
export interface CPUAffinity {
  initial?: string
  final?: string
}

/** config.md#posix-platform-hooks */
export interface Hook {
  /** Absolute path, resolved in the runtime (or, for startContainer, container) namespace. */
  path: string
  args?: string[]
  env?: string[]
  /** Seconds; greater than zero. */
  timeout?: number
}

export interface Hooks {
  /** DEPRECATED in favour of createRuntime, createContainer and startContainer. */
  prestart?: Hook[]
  createRuntime?: Hook[]
  createContainer?: Hook[]
  startContainer?: Hook[]
  poststart?: Hook[]
  poststop?: Hook[]
}

/** The names of the properties of Hooks, in lifecycle order. */
export type HookName = keyof Hooks

// ---------------------------------------------------------- config-linux.md

/** config.json `linux` (config-linux.md). */
export interface Linux {
  uidMappings?: LinuxIDMapping[]
  gidMappings?: LinuxIDMapping[]
  /** Clock name ("monotonic", "boottime") to offset; needs a new time namespace. */
  timeOffsets?: Record<string, LinuxTimeOffset>
  sysctl?: Record<string, string>
  resources?: LinuxResources
  cgroupsPath?: string
  namespaces?: LinuxNamespace[]
  devices?: LinuxDevice[]
  /** Host interface name to the device's settings inside the container. */
  netDevices?: Record<string, LinuxNetDevice>
  seccomp?: LinuxSeccomp
  rootfsPropagation?: 'shared' | 'slave' | 'private' | 'unbindable' | 'rshared' | 'rslave' | 'rprivate' | 'runbindable'
  maskedPaths?: string[]
  readonlyPaths?: string[]
  mountLabel?: string
  intelRdt?: LinuxIntelRdt
  memoryPolicy?: LinuxMemoryPolicy
  personality?: LinuxPersonality
}

export type LinuxNamespaceType =
  | 'cgroup' | 'ipc' | 'mount' | 'network' | 'pid' | 'time' | 'user' | 'uts'

/** config-linux.md#namespaces */
export interface LinuxNamespace {
  type: LinuxNamespaceType
  /** Join the namespace at this absolute path instead of creating one. */
  path?: string
}

/** config-linux.md#user-namespace-mappings */
export interface LinuxIDMapping {
  containerID: number
  hostID: number
  size: number
}

/** config-linux.md#offset-for-time-namespace */
export interface LinuxTimeOffset {
  secs?: number
  nanosecs?: number
}

/** config-linux.md#devices */
export interface LinuxDevice {
  /** c (character), b (block), u (unbuffered character) or p (FIFO). */
  type: 'c' | 'b' | 'u' | 'p'
  /** Absolute path inside the container. */
  path: string
  /** Required unless type is "p". */
  major?: number
  minor?: number
  /** Decimal file mode. */
  fileMode?: number
  uid?: number
  gid?: number
}

/** config-linux.md#network-devices */
export interface LinuxNetDevice {
  /** Name inside the container; the host name if unset. A trailing %d asks the kernel for a free index. */
  name?: string
}

/** config-linux.md#control-groups */
export interface LinuxResources {
  devices?: LinuxDeviceCgroup[]
  memory?: LinuxMemory
  cpu?: LinuxCPU
  pids?: LinuxPids
  blockIO?: LinuxBlockIO
  hugepageLimits?: LinuxHugepageLimit[]
  network?: LinuxNetwork
  /** RDMA device name to limits. */
  rdma?: Record<string, LinuxRdma>
  /** cgroup v2 file name to content. */
  unified?: Record<string, string>
}

/** config-linux.md#allowed-device-list */
export interface LinuxDeviceCgroup {
  allow: boolean
  /** a (all, the default), c or b. */
  type?: 'a' | 'c' | 'b'
  /** Unset means all ("*"). */
  major?: number
  minor?: number
  /** Combination of r, w, m. */
  access?: string
}

/** config-linux.md#memory: bytes, -1 for unlimited. */
export interface LinuxMemory {
  limit?: number
  reservation?: number
  swap?: number
  /** NOT RECOMMENDED. */
  kernel?: number
  /** NOT RECOMMENDED. */
  kernelTCP?: number
  /** 0 to 100. */
  swappiness?: number
  disableOOMKiller?: boolean
  useHierarchy?: boolean
  checkBeforeUpdate?: boolean
}

/** config-linux.md#cpu */
export interface LinuxCPU {
  shares?: number
  /** Microseconds per period; a positive quota MUST be no smaller than burst. */
  quota?: number
  burst?: number
  period?: number
  realtimeRuntime?: number
  realtimePeriod?: number
  /** CPU list such as "0-3,7". */
  cpus?: string
  /** Memory node list such as "0-3,7". */
  mems?: string
  /** 0: default, 1: SCHED_IDLE. */
  idle?: number
}

/** config-linux.md#pids */
export interface LinuxPids {
  /** -1 for no limit; 0 is a valid limit. */
  limit?: number
}

/** config-linux.md#block-io */
export interface LinuxBlockIO {
  weight?: number
  leafWeight?: number
  weightDevice?: LinuxWeightDevice[]
  throttleReadBpsDevice?: LinuxThrottleDevice[]
  throttleWriteBpsDevice?: LinuxThrottleDevice[]
  throttleReadIOPSDevice?: LinuxThrottleDevice[]
  throttleWriteIOPSDevice?: LinuxThrottleDevice[]
}

/** At least one of weight and leafWeight is set. */
export interface LinuxWeightDevice {
  major: number
  minor: number
  weight?: number
  leafWeight?: number
}

export interface LinuxThrottleDevice {
  major: number
  minor: number
  rate: number
}

/** config-linux.md#huge-page-limits */
export interface LinuxHugepageLimit {
  /** e.g. "2MB", "1GB" (units are powers of 1024). */
  pageSize: string
  limit: number
}

/** config-linux.md#network (net_cls, net_prio) */
export interface LinuxNetwork {
  classID?: number
  priorities?: LinuxInterfacePriority[]
}

export interface LinuxInterfacePriority {
  name: string
  priority: number
}

/** config-linux.md#rdma: at least one of the two is set. */
export interface LinuxRdma {
  hcaHandles?: number
  hcaObjects?: number
}

export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY'

/** Seccomp architectures as of libseccomp v2.6.0. */
export type Arch =
  | 'SCMP_ARCH_X86' | 'SCMP_ARCH_X86_64' | 'SCMP_ARCH_X32' | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64' | 'SCMP_ARCH_MIPS' | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32' | 'SCMP_ARCH_MIPSEL' | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32' | 'SCMP_ARCH_PPC' | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE' | 'SCMP_ARCH_S390' | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC' | 'SCMP_ARCH_PARISC64' | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64' | 'SCMP_ARCH_M68K' | 'SCMP_ARCH_SH' | 'SCMP_ARCH_SHEB'

export type LinuxSeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'

export type LinuxSeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ'

/** config-linux.md#seccomp */
export interface LinuxSeccomp {
  defaultAction: LinuxSeccompAction
  /** errno for SCMP_ACT_ERRNO / SCMP_ACT_TRACE; EPERM by default. */
  defaultErrnoRet?: number
  architectures?: Arch[]
  flags?: LinuxSeccompFlag[]
  /** UNIX socket that receives the seccomp fd when SCMP_ACT_NOTIFY is used. */
  listenerPath?: string
  /** Opaque data for the seccomp agent; only with listenerPath. */
  listenerMetadata?: string
  syscalls?: LinuxSyscall[]
}

export interface LinuxSyscall {
  /** At least one syscall name. */
  names: string[]
  action: LinuxSeccompAction
  errnoRet?: number
  args?: LinuxSeccompArg[]
}

export interface LinuxSeccompArg {
  /** Argument index, 0 to 5. */
  index: number
  value: number
  valueTwo?: number
  op: LinuxSeccompOperator
}

/** config-linux.md#intelrdt */
export interface LinuxIntelRdt {
  closID?: string
  l3CacheSchema?: string
  memBwSchema?: string
  schemata?: string[]
  enableMonitoring?: boolean
}

export type MemoryPolicyMode =
  | 'MPOL_DEFAULT' | 'MPOL_BIND' | 'MPOL_INTERLEAVE' | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED' | 'MPOL_PREFERRED_MANY' | 'MPOL_LOCAL'

export type MemoryPolicyFlag =
  | 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES'

/** config-linux.md#memory-policy, set_mempolicy(2). */
export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode
  /** Node list such as "0-3,7". */
  nodes?: string
  flags?: MemoryPolicyFlag[]
}

export type LinuxPersonalityDomain = 'LINUX' | 'LINUX32'

/** config-linux.md#personality */
export interface LinuxPersonality {
  domain: LinuxPersonalityDomain
  /** No flag values are supported in v1.3.0. */
  flags?: string[]
}

// ------------------------------------------------------ other platforms

/** config-solaris.md */
export interface Solaris {
  milestone?: string
  limitpriv?: string
  maxShmMemory?: string
  anet?: SolarisAnet[]
  cappedCPU?: { ncpus?: string }
  cappedMemory?: { physical?: string, swap?: string }
}

export interface SolarisAnet {
  linkname?: string
  lowerLink?: string
  allowedAddress?: string
  configureAllowedAddress?: string
  defrouter?: string
  linkProtection?: string
  macAddress?: string
}

/** config-windows.md */
export interface Windows {
  layerFolders: string[]
  devices?: Array<{ id: string, idType: string }>
  resources?: {
    memory?: { limit?: number }
    cpu?: { count?: number, shares?: number, maximum?: number, affinity?: Array<{ mask: number, group: number }> }
    storage?: { iops?: number, bps?: number, sandboxSize?: number }
  }
  credentialSpec?: Record<string, unknown>
  servicing?: boolean
  ignoreFlushesDuringBoot?: boolean
  hyperv?: { utilityVMPath?: string }
  network?: {
    endpointList?: string[]
    allowUnqualifiedDNSQuery?: boolean
    DNSSearchList?: string[]
    networkSharedContainerName?: string
    networkNamespace?: string
  }
}

/** config-vm.md */
export interface VM {
  hypervisor?: { path: string, parameters?: string[] }
  kernel: { path: string, parameters?: string[], initrd?: string }
  image?: { path: string, format: string }
  hwConfig?: {
    deviceTree?: string
    vcpus?: number
    memory?: number
    dtdevs?: string[]
    iomems?: Array<{ firstGFN?: number, firstMFN: number, nrMFNs: number }>
    irqs?: number[]
  }
}

/** config-zos.md */
export interface ZOS {
  namespaces?: Array<{ type: 'mount' | 'pid' | 'uts' | 'ipc', path?: string }>
}

export type FreeBSDSharingMode = 'disable' | 'new' | 'inherit'

/** config-freebsd.md */
export interface FreeBSD {
  devices?: Array<{ path: string, mode?: number }>
  jail?: {
    parent?: string
    host?: 'new' | 'inherit'
    ip4?: FreeBSDSharingMode
    ip4Addr?: string[]
    ip6?: FreeBSDSharingMode
    ip6Addr?: string[]
    vnet?: 'new' | 'inherit'
    interface?: string
    vnetInterfaces?: string[]
    sysvmsg?: FreeBSDSharingMode
    sysvsem?: FreeBSDSharingMode
    sysvshm?: FreeBSDSharingMode
    enforceStatfs?: 0 | 1 | 2
    allow?: {
      setHostname?: boolean
      rawSockets?: boolean
      chflags?: boolean
      mount?: string[]
      quotas?: boolean
      socketAf?: boolean
      mlock?: boolean
      reservedPorts?: boolean
      suser?: boolean
    }
  }
}

// --------------------------------------------------------------- runtime.md

/** The statuses defined by runtime.md#state; runtimes MAY add others. */
export type ContainerState = 'creating' | 'created' | 'running' | 'stopped'

/** runtime.md#state, as printed by `state` and passed to hooks on stdin. */
export interface State {
  ociVersion: string
  id: string
  /** One of ContainerState, or a runtime-defined status (e.g. runc's "paused"). */
  status: ContainerState | (string & {})
  /** REQUIRED when status is created or running on Linux. */
  pid?: number
  /** Absolute path of the bundle. */
  bundle: string
  annotations?: Record<string, string>
}

/** config-linux.md#the-container-process-state: sent to a seccomp agent over listenerPath. */
export interface ContainerProcessState {
  ociVersion: string
  fds?: string[]
  pid: number
  metadata?: string
  state: State
}

// --------------------------------------------------------------- features.md

/** features.md: what a runtime implements. Every optional property MAY be null. */
export interface Features {
  ociVersionMin: string
  ociVersionMax: string
  hooks?: HookName[] | null
  mountOptions?: string[] | null
  linux?: LinuxFeatures | null
  annotations?: Record<string, string> | null
  potentiallyUnsafeConfigAnnotations?: string[] | null
}

/** features-linux.md */
export interface LinuxFeatures {
  namespaces?: LinuxNamespaceType[] | null
  capabilities?: string[] | null
  cgroup?: {
    v1?: boolean | null
    v2?: boolean | null
    systemd?: boolean | null
    systemdUser?: boolean | null
    rdma?: boolean | null
  } | null
  seccomp?: {
    enabled?: boolean | null
    actions?: LinuxSeccompAction[] | null
    operators?: LinuxSeccompOperator[] | null
    archs?: Arch[] | null
    knownFlags?: LinuxSeccompFlag[] | null
    supportedFlags?: LinuxSeccompFlag[] | null
  } | null
  apparmor?: { enabled?: boolean | null } | null
  selinux?: { enabled?: boolean | null } | null
  memoryPolicy?: { modes?: MemoryPolicyMode[] | null, flags?: MemoryPolicyFlag[] | null } | null
  intelRdt?: { enabled?: boolean | null, schemata?: boolean | null, monitoring?: boolean | null } | null
  mountExtensions?: { idmap?: { enabled?: boolean | null } | null } | null
  netDevices?: { enabled?: boolean | null } | null
}
