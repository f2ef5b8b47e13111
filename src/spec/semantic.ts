/**
 * The requirements of the spec that a JSON Schema cannot express (uniqueness,
 * relations between fields, kernel value ranges), checked on a config that
 * already passed the schema. Each check cites the section that makes it a
 * MUST, and fails with a ConfigError naming the JSON Pointer of the value.
 *
 * SHOULD-level advice is not an error: lintConfig() returns it as warnings.
 *
 * These checks are for a Linux runtime: they apply the Linux (and POSIX)
 * variants of platform-dependent rules.
 */
import { ConfigError } from '../errors.js'
import { SPEC_VERSION } from '../version.js'
import { pointerTo } from './json-pointer.js'
import { compareSemVer, parseSemVer } from './semver.js'
import {
  CAPABILITIES, HOST_NAME_MAX, INTERFACE_NAME_MAX, RLIMITS, SECCOMP_ERRNO_ACTIONS,
  SPEC_DEFINED_ANNOTATIONS, SYSCALL_MAX_ARGS, TIME_NAMESPACE_CLOCKS, capabilityNumber
} from './linux-names.js'
import type {
  Features, HookName, Hooks, Linux, LinuxIDMapping, LinuxNamespace, LinuxNamespaceType, LinuxResources,
  LinuxSeccomp, Mount, Process, Spec
} from './types.js'

function fail (file: string, pointer: string, detail: string): never {
  throw new ConfigError(file, pointer, detail)
}

const quote = JSON.stringify

// ------------------------------------------------------------------ config

/**
 * Checks every semantic MUST of config.json for Linux. `spec` must already
 * have passed the schema (validateConfig); throws ConfigError on the first violation.
 */
export function checkConfig (spec: Spec, file = 'config.json'): void {
  checkOciVersion(spec.ociVersion, file)
  checkRoot(spec, file)
  const namespaces = indexNamespaces(spec.linux?.namespaces ?? [], file)
  if (spec.process !== undefined) checkProcess(spec.process, file, '/process')
  checkMounts(spec.mounts ?? [], namespaces, file)
  if (spec.hooks !== undefined) checkHooks(spec.hooks, file)
  checkHostnames(spec, namespaces, file)
  if (spec.linux !== undefined) checkLinux(spec.linux, namespaces, file)
}

/**
 * The process to start. runtime.md#start: "This operation MUST generate an
 * error if process was not set."
 */
export function requireProcess (spec: Spec, file = 'config.json'): Process {
  if (spec.process === undefined) {
    fail(file, '', 'missing required property "process": the start operation needs a process to run (runtime.md#start)')
  }
  return spec.process
}

/**
 * config.md#specification-version: ociVersion is SemVer 2.0.0 (the schema
 * checks the syntax) and compatibility holds only within a major version, so
 * a runtime implementing 1.x rejects any other major version.
 */
function checkOciVersion (ociVersion: string, file: string): void {
  const version = parseSemVer(ociVersion)
  if (version === undefined) fail(file, '/ociVersion', `must be a SemVer 2.0.0 version such as "1.3.0" (got ${quote(ociVersion)})`)
  if (version.major !== 1) {
    fail(file, '/ociVersion', `unsupported specification version ${quote(ociVersion)}: this runtime implements ${SPEC_VERSION} and accepts 1.x`)
  }
}

/** config.md#root: "On all other platforms [than Windows], this field is REQUIRED." */
function checkRoot (spec: Spec, file: string): void {
  if (spec.root === undefined) fail(file, '', 'missing required property "root" (REQUIRED on Linux, config.md#root)')
  if (spec.root.path === '') fail(file, '/root/path', 'must not be empty')
}

/** Namespace type -> its entry and index in linux.namespaces. */
type NamespaceIndex = ReadonlyMap<LinuxNamespaceType, { entry: LinuxNamespace, index: number }>

/**
 * config-linux.md#namespaces: "If a namespaces field contains duplicated
 * namespaces with same type, the runtime MUST generate an error."
 */
function indexNamespaces (namespaces: readonly LinuxNamespace[], file: string): NamespaceIndex {
  const index = new Map<LinuxNamespaceType, { entry: LinuxNamespace, index: number }>()
  namespaces.forEach((entry, i) => {
    const earlier = index.get(entry.type)
    if (earlier !== undefined) {
      fail(file, `/linux/namespaces/${i}/type`, `duplicate namespace type ${quote(entry.type)} (already at /linux/namespaces/${earlier.index})`)
    }
    index.set(entry.type, { entry, index: i })
  })
  return index
}

// ----------------------------------------------------------------- process

/**
 * Checks a process object: config.json's `process` (at = '/process') or the
 * document of `exec --process` (at = '').
 */
export function checkProcess (process: Process, file: string, at: string): void {
  // config.md#process: "cwd ... This value MUST be an absolute path."
  if (!process.cwd.startsWith('/')) fail(file, `${at}/cwd`, `must be an absolute path (got ${quote(process.cwd)})`)

  // config.md#process: args "at least one entry is REQUIRED (non-Windows), and that entry
  // is used with the same semantics as execvp's file".
  if (process.args === undefined) fail(file, at, 'missing required property "args" (REQUIRED on Linux, config.md#process)')
  if (process.args.length === 0) fail(file, `${at}/args`, 'must contain at least the program to run')
  if (process.args[0] === '') fail(file, `${at}/args/0`, 'the program to run must not be empty')
  checkNoNul(process.args, file, `${at}/args`)

  if (process.env !== undefined) checkEnv(process.env, file, `${at}/env`)

  // config.md#posix-platform-user: uid and gid are REQUIRED.
  if (process.user !== undefined) {
    for (const id of ['uid', 'gid'] as const) {
      if (process.user[id] === undefined) fail(file, `${at}/user`, `missing required property ${quote(id)} (REQUIRED on Linux, config.md#user)`)
    }
  }

  if (process.rlimits !== undefined) checkRlimits(process.rlimits, file, `${at}/rlimits`)
  if (process.capabilities !== undefined) checkCapabilities(process.capabilities, file, `${at}/capabilities`)

  // config.md#linux-process: oom_score_adj is set to oomScoreAdj; proc(5) accepts -1000 to 1000.
  if (process.oomScoreAdj !== undefined && (process.oomScoreAdj < -1000 || process.oomScoreAdj > 1000)) {
    fail(file, `${at}/oomScoreAdj`, `must be between -1000 and 1000, the range of oom_score_adj (got ${process.oomScoreAdj})`)
  }

  if (process.scheduler !== undefined) checkScheduler(process.scheduler, file, `${at}/scheduler`)

  // config.md#linux-process: ioPriority.priority ranges "from 0 (highest) to 7 (lowest)".
  if (process.ioPriority !== undefined) {
    const { priority } = process.ioPriority
    if (priority < 0 || priority > 7) fail(file, `${at}/ioPriority/priority`, `must be between 0 (highest) and 7 (lowest) (got ${priority})`)
  }

  // config.md#linux-process: execCPUAffinity lists are "a comma-separated list, with dashes to represent ranges".
  if (process.execCPUAffinity !== undefined) {
    for (const key of ['initial', 'final'] as const) {
      const list = process.execCPUAffinity[key]
      if (list !== undefined) checkNumberList(list, 'CPU', file, `${at}/execCPUAffinity/${key}`)
    }
  }
}

/**
 * config.md#process and #posix-platform-hooks: env has "the same semantics as
 * IEEE Std 1003.1-2008's environ": strings of the form name=value, where the
 * name is non-empty and contains no "=". Strings handed to execve(2) cannot contain NUL.
 */
function checkEnv (env: readonly string[], file: string, at: string): void {
  env.forEach((entry, i) => {
    const eq = entry.indexOf('=')
    if (eq === -1) fail(file, pointerTo(at, i), `must have the form KEY=value (got ${quote(entry)})`)
    if (eq === 0) fail(file, pointerTo(at, i), `the variable name must not be empty (got ${quote(entry)})`)
  })
  checkNoNul(env, file, at)
}

function checkNoNul (strings: readonly string[], file: string, at: string): void {
  strings.forEach((s, i) => {
    if (s.includes('\0')) fail(file, pointerTo(at, i), 'must not contain NUL characters')
  })
}

/**
 * config.md#posix-process: the runtime MUST generate an error for rlimit types
 * that cannot be mapped to a kernel interface, and for duplicated types.
 * rlim_cur and rlim_max MUST match soft and hard, which setrlimit(2) refuses
 * (EINVAL) when soft exceeds hard.
 */
function checkRlimits (rlimits: NonNullable<Process['rlimits']>, file: string, at: string): void {
  const seen = new Map<string, number>()
  rlimits.forEach((rlimit, i) => {
    if (!RLIMITS.has(rlimit.type)) {
      fail(file, `${at}/${i}/type`, `unknown resource ${quote(rlimit.type)}; Linux knows ${[...RLIMITS].join(', ')}`)
    }
    const earlier = seen.get(rlimit.type)
    if (earlier !== undefined) fail(file, `${at}/${i}/type`, `duplicate rlimit ${quote(rlimit.type)} (already at ${at}/${earlier})`)
    seen.set(rlimit.type, i)
    if (rlimit.soft > rlimit.hard) {
      fail(file, `${at}/${i}/soft`, `soft limit ${rlimit.soft} exceeds hard limit ${rlimit.hard}`)
    }
  })
}

/**
 * config.md#linux-process: capability "Valid values are defined in the
 * capabilities(7) man page" and config.md#valid-values: "Runtimes MUST
 * generate an error when invalid or unsupported values are encountered."
 * A name no kernel defines is invalid; a known capability that the running
 * kernel lacks is only a warning, logged when the capabilities are applied.
 */
function checkCapabilities (capabilities: NonNullable<Process['capabilities']>, file: string, at: string): void {
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
    capabilities[set]?.forEach((name, i) => {
      if (capabilityNumber(name) === undefined) {
        fail(file, `${at}/${set}/${i}`, `unknown capability ${quote(name)}; known capabilities are ${CAPABILITIES.join(', ')}`)
      }
    })
  }
}

/**
 * config.md#linux-process scheduler, as sched_setattr(2) accepts it (it
 * returns EINVAL otherwise): nice is -20 to 19, a static priority of 1 to 99
 * belongs to SCHED_FIFO and SCHED_RR only, runtime/deadline/period to
 * SCHED_DEADLINE only, with runtime <= deadline <= period.
 */
function checkScheduler (scheduler: NonNullable<Process['scheduler']>, file: string, at: string): void {
  const { policy, nice = 0, priority = 0, runtime = 0, deadline = 0, period = 0 } = scheduler
  if (nice < -20 || nice > 19) fail(file, `${at}/nice`, `must be between -20 and 19 (got ${nice})`)
  const realtime = policy === 'SCHED_FIFO' || policy === 'SCHED_RR'
  if (realtime && (priority < 1 || priority > 99)) {
    fail(file, scheduler.priority === undefined ? at : `${at}/priority`, `${policy} needs a priority between 1 and 99 (got ${priority})`)
  }
  if (!realtime && priority !== 0) {
    fail(file, `${at}/priority`, `a static priority applies to SCHED_FIFO and SCHED_RR only, not ${policy}`)
  }
  if (policy !== 'SCHED_DEADLINE') {
    for (const [key, value] of [['runtime', runtime], ['deadline', deadline], ['period', period]] as const) {
      if (value !== 0) fail(file, `${at}/${key}`, `applies to SCHED_DEADLINE only, not ${policy}`)
    }
    return
  }
  if (runtime > deadline) fail(file, `${at}/runtime`, `must not exceed deadline (${runtime} > ${deadline})`)
  if (period !== 0 && deadline > period) fail(file, `${at}/deadline`, `must not exceed period (${deadline} > ${period})`)
}

/**
 * The list format of cpusets, execCPUAffinity and memoryPolicy.nodes
 * ("0-3,7"), as the kernel parses it (bitmap_parselist: "N", "N-M" or
 * "N-M:used/group", separated by commas). The empty list is accepted.
 */
function checkNumberList (list: string, what: string, file: string, pointer: string): void {
  if (list.trim() === '') return
  for (const item of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?\s*$/.exec(item)
    if (m === null) fail(file, pointer, `must be a ${what} list such as "0-3,7" (got ${quote(list)})`)
    if (m[2] !== undefined && Number(m[1]) > Number(m[2])) fail(file, pointer, `range ${quote(item.trim())} ends before it starts`)
    if (m[3] !== undefined && (Number(m[4]) === 0 || Number(m[3]) > Number(m[4]))) fail(file, pointer, `invalid stride in ${quote(item.trim())}`)
  }
}

// ------------------------------------------------------------------ mounts

/** config.md#mounts and #posix-platform-mounts, for Linux. */
function checkMounts (mounts: readonly Mount[], namespaces: NamespaceIndex, file: string): void {
  mounts.forEach((mount, i) => {
    const at = `/mounts/${i}`
    // Linux: a relative destination is deprecated but allowed, "interpreted as relative to /"
    // (see lintConfig); the empty path names nothing.
    if (mount.destination === '') fail(file, `${at}/destination`, 'must not be empty')
    if (mount.uidMappings !== undefined) checkIdMappings(mount.uidMappings, file, `${at}/uidMappings`)
    if (mount.gidMappings !== undefined) checkIdMappings(mount.gidMappings, file, `${at}/gidMappings`)
    // config.md#linux-mount-options, idmap and ridmap: "If there are no uidMappings and
    // gidMappings specified and the container isn't using user namespaces, an error MUST be returned."
    const idmapIndex = mount.options?.findIndex(o => o === 'idmap' || o === 'ridmap') ?? -1
    if (idmapIndex !== -1 && mount.uidMappings === undefined && !namespaces.has('user')) {
      fail(file, `${at}/options/${idmapIndex}`,
        `${quote(mount.options?.[idmapIndex])} needs uidMappings and gidMappings on the mount or a "user" namespace`)
    }
  })
}

/**
 * A mapping the kernel can write to uid_map/gid_map (user_namespaces(7)):
 * at least one ID, and both ranges inside the 32-bit ID space.
 */
function checkIdMappings (mappings: readonly LinuxIDMapping[], file: string, at: string): void {
  mappings.forEach((m, i) => {
    if (m.size === 0) fail(file, `${at}/${i}/size`, 'must be at least 1')
    if (m.containerID + m.size > 2 ** 32) fail(file, `${at}/${i}`, 'containerID + size exceeds the 32-bit ID space')
    if (m.hostID + m.size > 2 ** 32) fail(file, `${at}/${i}`, 'hostID + size exceeds the 32-bit ID space')
  })
}

// ------------------------------------------------------------------- hooks

/** The hooks of config.md#posix-platform-hooks, in lifecycle order. */
export const HOOK_NAMES: readonly HookName[] = Object.freeze([
  'prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'
])

/** About 68 years: a timeout ocirt can wait for without its millisecond deadline overflowing. */
const MAX_HOOK_TIMEOUT_SECONDS = 2 ** 31 - 1

/** config.md#posix-platform-hooks: hook env entries are environ strings (path and timeout are in the schema). */
function checkHooks (hooks: Hooks, file: string): void {
  for (const name of HOOK_NAMES) {
    hooks[name]?.forEach((hook, i) => {
      if (hook.env !== undefined) checkEnv(hook.env, file, `/hooks/${name}/${i}/env`)
      if (hook.args !== undefined) checkNoNul(hook.args, file, `/hooks/${name}/${i}/args`)
      // The schema allows any int64; in milliseconds, added to the clock, it must stay exact and in range.
      if (hook.timeout !== undefined && hook.timeout > MAX_HOOK_TIMEOUT_SECONDS) {
        fail(file, `/hooks/${name}/${i}/timeout`, `must be at most ${MAX_HOOK_TIMEOUT_SECONDS} seconds (got ${hook.timeout})`)
      }
    })
  }
}

// --------------------------------------------------------------- hostname

/**
 * config.md#hostname and #domainname change the container's UTS namespace,
 * which "may be the runtime UTS namespace": without a "uts" entry in
 * linux.namespaces the host's name would change, so (like runc) refuse.
 * sethostname(2) and setdomainname(2) accept at most HOST_NAME_MAX bytes.
 */
function checkHostnames (spec: Spec, namespaces: NamespaceIndex, file: string): void {
  for (const key of ['hostname', 'domainname'] as const) {
    const name = spec[key]
    if (name === undefined || name === '') continue
    if (!namespaces.has('uts')) fail(file, `/${key}`, `setting the ${key} needs a "uts" namespace in /linux/namespaces; it would change the host's otherwise`)
    if (Buffer.byteLength(name) > HOST_NAME_MAX) fail(file, `/${key}`, `must be at most ${HOST_NAME_MAX} bytes long`)
  }
}

// ------------------------------------------------------------------- linux

function checkLinux (linux: Linux, namespaces: NamespaceIndex, file: string): void {
  checkUserNamespaceMappings(linux, namespaces, file)
  if (linux.timeOffsets !== undefined) checkTimeOffsets(linux.timeOffsets, namespaces, file)
  if (linux.devices !== undefined) checkDevices(linux.devices, file)
  if (linux.netDevices !== undefined) checkNetDevices(linux.netDevices, namespaces, file)
  if (linux.resources !== undefined) checkResources(linux.resources, file)
  if (linux.cgroupsPath !== undefined) checkCgroupsPath(linux.cgroupsPath, file)
  if (linux.sysctl !== undefined) checkSysctl(linux.sysctl, namespaces, file)
  if (linux.seccomp !== undefined) checkSeccomp(linux.seccomp, file)
  if (linux.intelRdt?.closID !== undefined) checkClosID(linux.intelRdt.closID, file)
  if (linux.memoryPolicy !== undefined) checkMemoryPolicy(linux.memoryPolicy, file)

  // config-linux.md#personality: "flags ... Currently no flag values are supported."
  const flags = linux.personality?.flags ?? []
  if (flags.length > 0) fail(file, '/linux/personality/flags/0', `unsupported personality flag ${quote(flags[0])}: runtime-spec ${SPEC_VERSION} defines none`)
}

/**
 * config-linux.md#user-namespace-mappings describe the user namespace: they
 * cannot be applied (runtime.md#create: the runtime MUST generate an error)
 * when the container has no user namespace. A new user namespace without
 * mappings is left to the runtime (crun maps the caller's ID, for example).
 */
function checkUserNamespaceMappings (linux: Linux, namespaces: NamespaceIndex, file: string): void {
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const mappings = linux[key]
    if (mappings === undefined) continue
    if (mappings.length > 0 && !namespaces.has('user')) fail(file, `/linux/${key}`, `${key} need a "user" namespace in /linux/namespaces`)
    checkIdMappings(mappings, file, `/linux/${key}`)
  }
}

/**
 * config-linux.md#offset-for-time-namespace: offsets of the clocks of a time
 * namespace (time_namespaces(7)), which only exist for the monotonic and
 * boottime clocks and can only be written for a namespace the runtime creates.
 */
function checkTimeOffsets (offsets: NonNullable<Linux['timeOffsets']>, namespaces: NamespaceIndex, file: string): void {
  const time = namespaces.get('time')
  if (time === undefined) fail(file, '/linux/timeOffsets', 'timeOffsets need a "time" namespace in /linux/namespaces')
  if (time.entry.path !== undefined) {
    fail(file, '/linux/timeOffsets', `offsets cannot be set on a joined time namespace (/linux/namespaces/${time.index} has a path)`)
  }
  for (const [clock, offset] of Object.entries(offsets)) {
    const at = pointerTo('/linux/timeOffsets', clock)
    if (!TIME_NAMESPACE_CLOCKS.has(clock)) fail(file, at, `unknown clock ${quote(clock)}; a time namespace offsets "monotonic" and "boottime"`)
    if (offset.nanosecs !== undefined && offset.nanosecs >= 1e9) fail(file, `${at}/nanosecs`, `must be less than 1000000000 (got ${offset.nanosecs})`)
  }
}

/**
 * config-linux.md#devices: "If a file already exists at path that does not
 * match the requested device, the runtime MUST generate an error", so two
 * different devices cannot share a path. (major/minor presence is in the schema.)
 */
function checkDevices (devices: NonNullable<Linux['devices']>, file: string): void {
  const byPath = new Map<string, { index: number, device: (typeof devices)[number] }>()
  devices.forEach((device, i) => {
    const earlier = byPath.get(device.path)
    if (earlier !== undefined) {
      const other = earlier.device
      if (other.type !== device.type || other.major !== device.major || other.minor !== device.minor) {
        fail(file, `/linux/devices/${i}/path`, `${quote(device.path)} is already a different device at /linux/devices/${earlier.index}`)
      }
    }
    byPath.set(device.path, { index: i, device })
  })
}

/**
 * config-linux.md#network-devices: devices move into the container's network
 * namespace, so there must be one; names are interface names (at most
 * IFNAMSIZ-1 bytes, not "." or "..", without "/", ":" or whitespace, see
 * dev_valid_name()), and a name already taken in the container MUST be an
 * error, so two devices cannot get the same name (unless it is a "%d" template).
 */
function checkNetDevices (netDevices: NonNullable<Linux['netDevices']>, namespaces: NamespaceIndex, file: string): void {
  if (!namespaces.has('network')) fail(file, '/linux/netDevices', 'network devices need a "network" namespace in /linux/namespaces')
  const names = new Map<string, string>()
  for (const [hostName, device] of Object.entries(netDevices)) {
    const at = pointerTo('/linux/netDevices', hostName)
    checkInterfaceName(hostName, file, at)
    const name = device.name ?? hostName
    if (device.name !== undefined) checkInterfaceName(device.name, file, `${at}/name`)
    const earlier = names.get(name)
    if (earlier !== undefined && !name.includes('%d')) fail(file, at, `${quote(hostName)} and ${quote(earlier)} would both be named ${quote(name)} in the container`)
    names.set(name, hostName)
  }
}

function checkInterfaceName (name: string, file: string, pointer: string): void {
  if (name === '' || name === '.' || name === '..' || /[/:\s]/.test(name) || Buffer.byteLength(name) > INTERFACE_NAME_MAX) {
    fail(file, pointer, `${quote(name)} is not a valid interface name (1 to ${INTERFACE_NAME_MAX} bytes, not "." or "..", no "/", ":" or whitespace)`)
  }
}

// --------------------------------------------------------------- resources

function checkResources (resources: LinuxResources, file: string): void {
  const at = '/linux/resources'
  const { memory, cpu, blockIO, rdma, unified } = resources

  if (memory !== undefined) {
    // config-linux.md#memory: swappiness "values are from 0 to 100". (2^64-1, i.e. -1 as a
    // uint64, means "unset" to runc and is accepted likewise.)
    if (memory.swappiness !== undefined && memory.swappiness > 100 && memory.swappiness < 2 ** 64) {
      fail(file, `${at}/memory/swappiness`, `must be between 0 and 100 (got ${memory.swappiness})`)
    }
    // swap limits memory+swap, so it cannot be below the memory limit (the kernel refuses it).
    if (memory.limit !== undefined && memory.swap !== undefined && memory.limit > 0 && memory.swap > 0 && memory.swap < memory.limit) {
      fail(file, `${at}/memory/swap`, `the memory+swap limit (${memory.swap}) must not be below the memory limit (${memory.limit})`)
    }
  }

  if (cpu !== undefined) {
    // config-linux.md#cpu: a positive quota "MUST be no smaller than burst".
    if (cpu.quota !== undefined && cpu.burst !== undefined && cpu.quota > 0 && cpu.burst > cpu.quota) {
      fail(file, `${at}/cpu/burst`, `must not exceed quota (${cpu.burst} > ${cpu.quota})`)
    }
    // config-linux.md#cpu: cpus and mems are "a comma-separated list, with dashes to represent ranges".
    if (cpu.cpus !== undefined) checkNumberList(cpu.cpus, 'CPU', file, `${at}/cpu/cpus`)
    if (cpu.mems !== undefined) checkNumberList(cpu.mems, 'memory node', file, `${at}/cpu/mems`)
  }

  // config-linux.md#block-io: "You MUST specify at least one of weight or leafWeight in a given entry".
  blockIO?.weightDevice?.forEach((device, i) => {
    if (device.weight === undefined && device.leafWeight === undefined) {
      fail(file, `${at}/blockIO/weightDevice/${i}`, 'at least one of "weight" and "leafWeight" must be set')
    }
  })

  // config-linux.md#rdma: "You MUST specify at least one of the hcaHandles or hcaObjects in a given entry".
  for (const [device, limits] of Object.entries(rdma ?? {})) {
    if (limits.hcaHandles === undefined && limits.hcaObjects === undefined) {
      fail(file, pointerTo(`${at}/rdma`, device), 'at least one of "hcaHandles" and "hcaObjects" must be set')
    }
  }

  // config-linux.md#unified: "Each key in the map refers to a file in the cgroup unified
  // hierarchy" - a file of the container's cgroup, so a plain file name, never a path.
  for (const key of Object.keys(unified ?? {})) {
    if (key === '' || key === '.' || key === '..' || key.includes('/') || key.includes('\0')) {
      fail(file, pointerTo(`${at}/unified`, key), `${quote(key)} is not the name of a file in the container's cgroup`)
    }
  }
}

/**
 * config-linux.md#cgroups-path: "Runtimes MAY consider certain cgroupsPath
 * values to be invalid, and MUST generate an error if this is the case."
 * ocirt refuses paths that would leave the hierarchy ("..") or contain NUL.
 */
function checkCgroupsPath (cgroupsPath: string, file: string): void {
  if (cgroupsPath.includes('\0')) fail(file, '/linux/cgroupsPath', 'must not contain NUL characters')
  if (cgroupsPath.split('/').includes('..')) fail(file, '/linux/cgroupsPath', `must not contain ".." components (got ${quote(cgroupsPath)})`)
}

// ------------------------------------------------------------------ sysctl

/** sysctls of the IPC namespace (ipc_namespaces(7)), besides the fs.mqueue.* family. */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem',
  'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'
])

/**
 * config-linux.md#sysctl modifies kernel parameters "for the container":
 * only parameters of a namespace the container has can be (the others would
 * change the host; runc and crun refuse them alike). Keys use the dotted or the
 * slash-separated form of sysctl(8) and name a file under /proc/sys.
 */
function checkSysctl (sysctl: Record<string, string>, namespaces: NamespaceIndex, file: string): void {
  for (const key of Object.keys(sysctl)) {
    const at = pointerTo('/linux/sysctl', key)
    const parts = key.includes('/') ? key.split('/') : key.split('.')
    if (parts.some(p => p === '' || p === '.' || p === '..' || /[\s\0]/.test(p))) {
      fail(file, at, `${quote(key)} is not a sysctl name such as "net.ipv4.ip_forward"`)
    }
    const name = parts.join('.')
    let needs: LinuxNamespaceType | undefined
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) needs = 'ipc'
    else if (name.startsWith('net.')) needs = 'network'
    else if (name === 'kernel.domainname') needs = 'uts'
    else if (name === 'kernel.hostname') fail(file, at, 'set the hostname with /hostname instead of the kernel.hostname sysctl')
    else fail(file, at, `${quote(key)} is not namespaced: setting it would change the host's value`)
    if (!namespaces.has(needs)) fail(file, at, `${quote(key)} needs a ${quote(needs)} namespace in /linux/namespaces`)
  }
}

// ----------------------------------------------------------------- seccomp

/** config-linux.md#seccomp */
function checkSeccomp (seccomp: LinuxSeccomp, file: string): void {
  const at = '/linux/seccomp'
  // "When the action doesn't support an errno, the runtime MUST print and error and fail."
  if (seccomp.defaultErrnoRet !== undefined && !SECCOMP_ERRNO_ACTIONS.has(seccomp.defaultAction)) {
    fail(file, `${at}/defaultErrnoRet`, `defaultAction ${seccomp.defaultAction} does not return an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`)
  }
  // libseccomp refuses SCMP_ACT_NOTIFY as the default action (it would notify on every syscall,
  // including those of the agent handshake).
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') fail(file, `${at}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action')

  seccomp.syscalls?.forEach((syscall, i) => {
    const rule = `${at}/syscalls/${i}`
    if (syscall.errnoRet !== undefined && !SECCOMP_ERRNO_ACTIONS.has(syscall.action)) {
      fail(file, `${rule}/errnoRet`, `action ${syscall.action} does not return an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`)
    }
    // listenerPath is where the runtime sends the notify fd "when the SCMP_ACT_NOTIFY action is used";
    // without it nobody could answer the notifications and the syscalls would block forever.
    if (syscall.action === 'SCMP_ACT_NOTIFY' && seccomp.listenerPath === undefined) {
      fail(file, `${rule}/action`, `SCMP_ACT_NOTIFY needs ${at}/listenerPath`)
    }
    syscall.args?.forEach((arg, j) => {
      if (arg.index >= SYSCALL_MAX_ARGS) {
        fail(file, `${rule}/args/${j}/index`, `must be between 0 and ${SYSCALL_MAX_ARGS - 1}: a syscall has at most ${SYSCALL_MAX_ARGS} arguments (got ${arg.index})`)
      }
    })
  })
}

// ------------------------------------------------------ intelRdt, mempolicy

/**
 * config-linux.md#intelrdt: closID names a sub-directory of the resctrl
 * filesystem ("/" being its root), so it must not be a path.
 */
function checkClosID (closID: string, file: string): void {
  if (closID === '/') return
  if (closID === '' || closID === '.' || closID === '..' || closID.includes('/') || closID.includes('\n')) {
    fail(file, '/linux/intelRdt/closID', `${quote(closID)} is not a resctrl group name (or "/" for the default group)`)
  }
}

/**
 * config-linux.md#memory-policy, as set_mempolicy(2) accepts it: MPOL_DEFAULT
 * and MPOL_LOCAL take no nodes, MPOL_BIND, MPOL_INTERLEAVE,
 * MPOL_WEIGHTED_INTERLEAVE and MPOL_PREFERRED_MANY at least one, and
 * MPOL_F_STATIC_NODES excludes MPOL_F_RELATIVE_NODES.
 */
function checkMemoryPolicy (policy: NonNullable<Linux['memoryPolicy']>, file: string): void {
  const at = '/linux/memoryPolicy'
  const nodes = policy.nodes ?? ''
  checkNumberList(nodes, 'memory node', file, `${at}/nodes`)
  const hasNodes = nodes.trim() !== ''
  if ((policy.mode === 'MPOL_DEFAULT' || policy.mode === 'MPOL_LOCAL') && hasNodes) {
    fail(file, `${at}/nodes`, `${policy.mode} takes no nodes (got ${quote(nodes)})`)
  }
  if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(policy.mode) && !hasNodes) {
    fail(file, policy.nodes === undefined ? at : `${at}/nodes`, `${policy.mode} needs at least one node`)
  }
  const flags = policy.flags ?? []
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    fail(file, `${at}/flags`, 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be used together')
  }
}

// ---------------------------------------------------------------- features

/** features.md: ociVersionMax "MUST NOT be less than the value of the ociVersionMin property". */
export function checkFeatures (features: Features, file = 'features.json'): void {
  const min = parseSemVer(features.ociVersionMin)
  const max = parseSemVer(features.ociVersionMax)
  if (min !== undefined && max !== undefined && compareSemVer(max, min) < 0) {
    fail(file, '/ociVersionMax', `${quote(features.ociVersionMax)} is less than ociVersionMin ${quote(features.ociVersionMin)}`)
  }
}

// -------------------------------------------------------------------- lint

/**
 * The SHOULD-level advice of the spec that `spec` does not follow, as
 * "<pointer>: <warning>" strings (runtime.md#warnings: logging a warning
 * does not change the flow of the operation). Assumes checkConfig passed.
 */
export function lintConfig (spec: Spec): string[] {
  const warnings: string[] = []
  const warn = (pointer: string, text: string): void => { warnings.push(`${pointer === '' ? '/' : pointer}: ${text}`) }

  // config.md#specification-version: forward compatibility holds within a major version,
  // but properties newer than this runtime are ignored as unknown.
  const version = parseSemVer(spec.ociVersion)
  const implemented = parseSemVer(SPEC_VERSION)
  if (version !== undefined && implemented !== undefined && version.major === implemented.major && version.minor > implemented.minor) {
    warn('/ociVersion', `${spec.ociVersion} is newer than ${SPEC_VERSION}, the version this runtime implements; properties it does not know are ignored`)
  }

  // config.md#root: "The value SHOULD be the conventional rootfs."
  if (spec.root !== undefined && spec.root.path !== 'rootfs') {
    warn('/root/path', `${quote(spec.root.path)} is not the conventional "rootfs"`)
  }

  if (spec.process !== undefined) lintProcess(spec.process, warn)
  lintMounts(spec, warn)

  // config.md#posix-platform-hooks: prestart is DEPRECATED.
  if ((spec.hooks?.prestart?.length ?? 0) > 0) {
    warn('/hooks/prestart', 'prestart hooks are deprecated; use createRuntime, createContainer or startContainer hooks')
  }

  lintAnnotations(spec.annotations ?? {}, warn)
  if (spec.linux !== undefined) lintLinux(spec.linux, warn)
  return warnings
}

type Warn = (pointer: string, text: string) => void

function lintProcess (process: Process, warn: Warn): void {
  // config.md#process: "Runtimes MUST ignore consoleSize if terminal is false or unset."
  if (process.consoleSize !== undefined && process.terminal !== true) {
    warn('/process/consoleSize', 'ignored because /process/terminal is not true')
  }
  // config.md#linux-process: execCPUAffinity "is not applicable to the container's init process".
  if (process.execCPUAffinity !== undefined) {
    warn('/process/execCPUAffinity', 'ignored for the container\'s init process; it applies to exec only')
  }
}

function lintMounts (spec: Spec, warn: Warn): void {
  spec.mounts?.forEach((mount, i) => {
    const at = `/mounts/${i}`
    // config.md#mounts, Linux: the destination "SHOULD be an absolute path ... Relative paths are deprecated."
    if (mount.destination !== '' && !mount.destination.startsWith('/')) {
      warn(`${at}/destination`, `relative destinations are deprecated; ${quote(mount.destination)} is taken relative to "/"`)
    }
    // config.md#posix-platform-mounts: with uidMappings/gidMappings, options SHOULD contain idmap or ridmap.
    if (mount.uidMappings !== undefined && !(mount.options ?? []).some(o => o === 'idmap' || o === 'ridmap')) {
      warn(`${at}/options`, 'a mount with uidMappings and gidMappings should have the "idmap" or "ridmap" option')
    }
  })

  // config-linux.md#default-filesystems: /proc, /sys, /dev/pts and /dev/shm SHOULD be available.
  const destinations = new Set((spec.mounts ?? []).map(m => normalizeDestination(m.destination)))
  for (const path of ['/proc', '/sys', '/dev/pts', '/dev/shm']) {
    if (!destinations.has(path)) warn('/mounts', `no mount for ${path}, which should be available in every Linux container`)
  }
}

function normalizeDestination (destination: string): string {
  const parts = destination.split('/').filter(p => p !== '' && p !== '.')
  return '/' + parts.join('/')
}

/**
 * config.md#annotations: keys SHOULD use reverse domain notation; the
 * org.opencontainers namespace is reserved and only the keys the spec lists
 * may be used (runtimes MUST still treat unknown keys like unknown properties,
 * so these are warnings).
 */
function lintAnnotations (annotations: Record<string, string>, warn: Warn): void {
  for (const key of Object.keys(annotations)) {
    const at = pointerTo('/annotations', key)
    if (key.startsWith('org.opencontainers.') && !SPEC_DEFINED_ANNOTATIONS.has(key)) {
      warn(at, 'keys in the org.opencontainers namespace are reserved for the specification, which does not define this one')
    } else if (!/^[A-Za-z0-9-]+\.[A-Za-z0-9-]/.test(key)) {
      warn(at, 'annotation keys should use reverse domain notation, e.g. "com.example.key"')
    }
  }
}

function lintLinux (linux: Linux, warn: Warn): void {
  // config-linux.md#devices: "The same type, major and minor SHOULD NOT be used for multiple devices."
  const seen = new Map<string, number>()
  linux.devices?.forEach((device, i) => {
    if (device.type === 'p') return
    const id = `${device.type} ${device.major}:${device.minor}`
    const earlier = seen.get(id)
    if (earlier !== undefined) warn(`/linux/devices/${i}`, `same type, major and minor as /linux/devices/${earlier}`)
    else seen.set(id, i)
  })

  // config-linux.md#memory: kernel and kernelTCP are NOT RECOMMENDED.
  for (const key of ['kernel', 'kernelTCP'] as const) {
    if (linux.resources?.memory?.[key] !== undefined) {
      warn(`/linux/resources/memory/${key}`, 'kernel memory limits are not recommended (cgroup v2 and recent kernels ignore them)')
    }
  }

  // config-linux.md#intelrdt: l3CacheSchema "SHOULD start with L3: and SHOULD NOT contain newlines".
  const l3 = linux.intelRdt?.l3CacheSchema
  if (l3 !== undefined && (!l3.startsWith('L3:') || l3.includes('\n'))) {
    warn('/linux/intelRdt/l3CacheSchema', 'should start with "L3:" and contain no newlines')
  }
}
