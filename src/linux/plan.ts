/**
 * config.json → InitPlan: everything the container's init does between
 * clone3 and exec, decided here so that native/ only executes it.
 */
import { statSync } from 'node:fs'
import { requireProcess } from '../spec/semantic.js'
import { ConfigError } from '../errors.js'
import type { InitPlan, InitFailure } from '../native.js'
import { DumpableUntil, InitPhase, MountOp } from '../native.js'

import type { Spec } from '../spec/types.js'
import { planNamespaces } from './namespaces.js'
import { planProcess } from './process.js'
import { planProcessAttributes } from './process-attributes.js'
import { applyMountLabel, planExecLabel } from './security-labels.js'
import type { PlannedStep } from './rootfs.js'
import { hostPseudoFilesystems, planRootfs } from './rootfs.js'
import { containerIdMapping } from './idmap-mount.js'
import { planConsole } from './console.js'
import { planSeccomp } from './seccomp.js'
import { checkSysctlNamespaces, planSysctls } from './sysctl.js'
import { checkSpecSupported } from './unsupported.js'
import type { Caller } from './rootless.js'
import { checkDevicesBindable, checkUnprivilegedNamespaces, checkUserNamespaceMounts, currentCaller, planIdMaps } from './rootless.js'
import { containerCgroupPath } from './cgroups/manager.js'
import { type HostFacts, hostFacts, rootlessByDefault } from './host-facts.js'
import { SPEC_VERSION } from '../version.js'

/** errno values the failure messages explain. */
const EPERM = 1
const EACCES = 13
const EXDEV = 18
const EINVAL = 22
const ELOOP = 40

export interface PlanOptions {
  bundle: string
  stateDir: string
  preserveFds: number
  noPivot: boolean
  /** The unix socket that receives the pty master when process.terminal is true. */
  consoleSocket: string | undefined
  /** Container id; the init joins a new session keyring "_ses.<id>" unless noNewKeyring. */
  id: string
  noNewKeyring: boolean
  /** The global --rootless, resolved (runc's meaning: no privilege over cgroups). Default: rootlessByDefault (host-facts.ts). */
  rootless?: boolean
  /** The container stays in the caller's cgroups (rootless, none of its own): a cgroup mount shows those. */
  inCallerCgroup?: boolean
  /** Who runs ocirt; default: this process. */
  caller?: Caller
  /** The host's facts (user namespace, setgroups); default: this process's, read once (host-facts.ts). Fixed facts make the plan testable without root. */
  hostFacts?: HostFacts
}

/** The plan and what each of its steps came from, to explain a failure. */
export interface ContainerPlan {
  init: InitPlan
  mountOrigins: string[]
  postPivotOrigins: string[]
  warnings: string[]
  /**
   * ocirt runs without privilege (--rootless, by default when not root): the
   * cgroup code may not create or write cgroups it does not own (on cgroup v1
   * it cannot manage any) and must then refuse /linux/resources clearly.
   */
  rootless: boolean
}

export function buildPlan (spec: Spec, opts: PlanOptions): ContainerPlan {
  // runtime.md "Start": start MUST fail without process; runc refuses at create already.
  const containerProcess = requireProcess(spec)
  checkSpecSupported(spec)
  const ns = planNamespaces(spec)
  checkSysctlNamespaces(spec)
  const caller = opts.caller ?? currentCaller()
  const facts = opts.hostFacts ?? hostFacts()
  const joinedTypes = new Set([...ns.privateTypes].filter(t => !ns.newTypes.has(t)))
  checkUnprivilegedNamespaces(caller, ns.newTypes, joinedTypes)
  const userNamespace = ns.newTypes.has('user') || joinedTypes.has('user')
  if (ns.newTypes.has('user')) checkUserNamespaceMounts(spec, ns.newTypes, joinedTypes)
  // As runc (rootfs_linux.go createDevices): device nodes are bound from the
  // host whenever the container has a user namespace or ocirt itself runs in
  // one (a rootless engine's): mknod of a device needs CAP_MKNOD in the initial one.
  const bindDevices = userNamespace || facts.inUserNamespace
  if (bindDevices) checkDevicesBindable(spec)
  const idMaps = ns.newTypes.has('user') ? planIdMaps(spec, caller) : { setgroupsDeny: !joinedTypes.has('user') && facts.setgroupsDenied }
  if (idMaps.setgroupsDeny && !ns.newTypes.has('user') && (containerProcess.user?.additionalGids ?? []).length > 0) {
    throw new ConfigError('config.json', '/process/user/additionalGids', 'ocirt runs in a user namespace that denies setgroups (/proc/self/setgroups): ' +
      'no additional groups can be set; its gid map must be written by newgidmap or with CAP_SETGID')
  }
  const rootfs = planRootfs(spec, {
    bundle: opts.bundle,
    userNamespace: bindDevices,
    cgroupNamespace: ns.privateTypes.has('cgroup'),
    containerIdMapping: containerIdMapping(ns),
    cgroupPath: own => opts.inCallerCgroup === true ? own : containerCgroupPath(spec.linux?.cgroupsPath, opts.id, own),
  })
  const processPlan = planProcess(containerProcess, rootfs.rootfs)
  const execLabel = planExecLabel(containerProcess, 'config.json', '/process')
  Object.assign(processPlan.process, execLabel.label)
  const labelWarnings = applyMountLabel(spec.linux?.mountLabel, rootfs.mountSteps)
  Object.assign(processPlan.process, planProcessAttributes(containerProcess, spec.linux?.personality, 'config.json', '/process', false))
  const steps = (planned: PlannedStep[]) => planned.map(p => p.step)
  const init: InitPlan = {
    cloneFlags: ns.cloneFlags,
    unshareFlags: ns.unshareFlags,
    joinNamespaces: ns.joinNamespaces,
    joinPidNamespace: ns.joinPidNamespace,
    forkAfterUnshare: ns.forkAfterUnshare,
    timeOffsets: ns.timeOffsets,
    uidMap: ns.uidMap,
    gidMap: ns.gidMap,
    ...idMaps,
    dumpableUntil: initDumpableUntil(caller),
    oomScoreAdj: containerProcess.oomScoreAdj ?? null,
    hostname: spec.hostname ?? null,
    domainname: spec.domainname ?? null,
    rootfs: rootfs.rootfs,
    rootPropagation: rootfs.rootPropagation,
    mountSteps: steps(rootfs.mountSteps),
    noPivot: opts.noPivot,
    inheritMountNamespace: ns.inheritMountNamespace,
    noPivotDetach: opts.noPivot ? hostPseudoFilesystems(rootfs.rootfs) : [],
    postPivotSteps: steps(rootfs.postPivotSteps),
    sysctls: planSysctls(spec.linux?.sysctl),
    rlimits: processPlan.rlimits,
    process: processPlan.process,
    preserveFds: opts.preserveFds,
    stateDir: opts.stateDir,
    // As runc: the container gets a session keyring of its own, not its caller's.
    sessionKeyring: opts.noNewKeyring ? '' : `_ses.${opts.id}`,
    // runtime.md lifecycle steps 3-5: these hooks run after the environment is made, before pivot_root.
    ...planConsole(containerProcess, opts.consoleSocket, 'config.json', '/process'),
    pauseBeforePivot: [spec.hooks?.prestart, spec.hooks?.createRuntime, spec.hooks?.createContainer].some(h => (h?.length ?? 0) > 0),
  }
  const seccomp = planSeccomp(spec.linux?.seccomp)
  if (seccomp !== null) {
    init.seccompFilter = seccomp.filter
    init.seccompFlags = seccomp.flags
  }
  Object.assign(init, planStartContainerHooks(spec, opts))
  const warnings = [...execLabel.warnings, ...labelWarnings, ...processPlan.warnings, ...(seccomp?.warnings ?? [])]
  // config.md: execCPUAffinity "is not applicable to the container's init process".
  if (containerProcess.execCPUAffinity !== undefined) warnings.push('process.execCPUAffinity ignored: it applies to exec, not to the container\'s init (config.md)')
  return {
    init,
    mountOrigins: rootfs.mountSteps.map(p => p.origin),
    postPivotOrigins: rootfs.postPivotSteps.map(p => p.origin),
    warnings,
    rootless: opts.rootless ?? rootlessByDefault(false, { ...facts, euid: caller.uid }),
  }
}

/**
 * A privileged ocirt reaches its init's /proc files though it is not
 * dumpable. A rootless one cannot, and neither can its `exec` into a created
 * container (setns needs /proc/PID/ns of the init): its init stays dumpable
 * until exec, as runc's does. That is safe because the init's /proc/PID/exe
 * is the sealed stage, which nothing can open for writing (CVE-2019-5736).
 */
function initDumpableUntil (caller: Caller): DumpableUntil {
  return caller.capProcAccess ? DumpableUntil.Never : DumpableUntil.Exec
}

/**
 * hooks.startContainer run in the init itself (see RunStartContainerHooks in
 * native/init.cc): with the container's identity, capabilities,
 * no_new_privs, seccomp and cgroup, as runc runs them. Their stdin is the
 * state (runtime.md "State") with status "created" and the pid the init has
 * in the container, which only the init knows.
 */
function planStartContainerHooks (spec: Spec, opts: PlanOptions): Pick<InitPlan, 'startContainerHooks' | 'hookStateBeforePid' | 'hookStateAfterPid'> {
  const hooks = spec.hooks?.startContainer ?? []
  if (hooks.length === 0) return {}
  const head = JSON.stringify({ ociVersion: SPEC_VERSION, id: opts.id, status: 'created' })
  const tail = JSON.stringify({ bundle: opts.bundle, ...(spec.annotations !== undefined ? { annotations: spec.annotations } : {}) })
  return {
    startContainerHooks: hooks.map(h => ({
      path: h.path,
      // execv semantics: args[0] is argv[0]; without args, the path.
      args: h.args !== undefined && h.args.length > 0 ? h.args : [h.path],
      env: h.env ?? [],
      timeout: h.timeout ?? 0,
    })),
    hookStateBeforePid: `${head.slice(0, -1)},"pid":`,
    hookStateAfterPid: `,${tail.slice(1)}`,
  }
}

const PHASE_TEXT: Readonly<Record<number, string>> = {
  [InitPhase.Sync]: 'container init exited during setup',
  [InitPhase.Setns]: 'joining namespace',
  [InitPhase.Unshare]: 'creating namespaces',
  [InitPhase.Hostname]: 'setting hostname',
  [InitPhase.RootPropagation]: 'making / private to the container',
  [InitPhase.RootBind]: 'bind-mounting the rootfs',
  [InitPhase.Pivot]: 'pivot_root into the rootfs',
  [InitPhase.Rlimit]: 'setting rlimit',
  [InitPhase.Identity]: 'setting user and groups',
  [InitPhase.Capabilities]: 'setting capabilities',
  [InitPhase.NoNewPrivileges]: 'setting no_new_privs',
  [InitPhase.UserMap]: 'writing the user namespace id maps',
  [InitPhase.Listen]: 'creating exec.sock in the state dir',
  [InitPhase.Clone]: 'clone3',
  [InitPhase.TimeOffsets]: 'config.json /linux/timeOffsets: writing /proc/self/timens_offsets',
  [InitPhase.Fork]: 'forking the container process into its new pid or time namespace',
  [InitPhase.Seccomp]: 'config.json /linux/seccomp: loading the filter',
  [InitPhase.Console]: 'setting up the terminal (process.terminal)',
  [InitPhase.ConsoleSocket]: 'passing the pty master to --console-socket',
  [InitPhase.Cgroup]: 'placing the init in its cgroup',
  [InitPhase.Keyring]: 'joining a new session keyring (--no-new-keyring keeps the caller\'s)',
  [InitPhase.Personality]: 'linux.personality: personality(2)',
  [InitPhase.Scheduler]: 'process.scheduler: sched_setattr(2)',
  [InitPhase.IoPriority]: 'process.ioPriority: ioprio_set(2)',
  [InitPhase.SecurityLabel]: 'process.apparmorProfile / process.selinuxLabel: writing /proc/thread-self/attr/exec',
  [InitPhase.Session]: 'setsid: making the container process a session leader',
  [InitPhase.Stage]: 'starting the sealed stage executable (ocirt-stage beside ocirt.node)',
}

/** Turns the init's failure record into a message that names the config path it came from. */
export function describeFailure (plan: ContainerPlan, f: InitFailure, strerror: (errno: number) => string): string {
  const reason = strerror(f.errno).toLowerCase()
  const init = plan.init
  switch (f.phase) {
    case InitPhase.MountStep: {
      const step = init.mountSteps[f.step]
      if (step.noSymlinks === true && f.errno === ELOOP) {
        return `config.json ${plan.mountOrigins[f.step]}: refusing to mount ${step.fstype} on ${step.target}: the rootfs has a symlink on that path`
      }
      if (step.op === MountOp.IdmappedBind && f.errno === EINVAL) {
        return `config.json ${plan.mountOrigins[f.step]}: ${describeStep(step)}: ${reason} (the filesystem of ${step.source ?? ''} cannot be id-mapped, or the mapping is invalid)`
      }
      return `config.json ${plan.mountOrigins[f.step]}: ${describeStep(step)}: ${reason}`
    }
    case InitPhase.PostPivotStep: {
      const step = init.postPivotSteps[f.step]
      if (step.op === MountOp.Mask && f.errno === EXDEV) {
        return `config.json ${plan.postPivotOrigins[f.step]}: refusing to mask ${step.target}: the container's /dev/null is not the null device`
      }
      return `config.json ${plan.postPivotOrigins[f.step]}: ${describeStep(step)}: ${reason}`
    }
    case InitPhase.Sysctl: {
      const [path, value] = init.sysctls[f.step]
      if (f.errno === EXDEV) return `config.json /linux/sysctl: refusing to write /proc/sys/${path}: it is not on procfs (something is mounted over /proc/sys)`
      return `config.json /linux/sysctl: writing ${value} to /proc/sys/${path}: ${reason}`
    }
    case InitPhase.Cgroup:
      // Steps count the parent's cgroup.procs writes first, then the stage's own tasks writes.
      return `config.json /linux/cgroupsPath: placing the init in its cgroup through ${[...(init.cgroupProcs ?? []), ...(init.selfPlaceTasks ?? [])][f.step] ?? 'cgroup.procs'}: ${reason}`
    case InitPhase.Rlimit:
      // In a user namespace (and rootless) the init has no CAP_SYS_RESOURCE where it counts.
      return `config.json /process/rlimits/${f.step}: setrlimit: ${reason}${f.errno === EPERM ? ' (raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace)' : ''}`
    case InitPhase.UserMap:
      return describeUserMapFailure(init, f, reason)
    case InitPhase.OomScoreAdj:
      return `config.json /process/oomScoreAdj: writing ${init.oomScoreAdj ?? ''} to /proc/PID/oom_score_adj: ${reason}` +
        (f.errno === EACCES ? ' (lowering it below ocirt\'s own needs CAP_SYS_RESOURCE)' : '')
    case InitPhase.Setns: {
      const join = f.step < 0 ? init.joinPidNamespace : init.joinNamespaces[f.step]?.path
      return `config.json /linux/namespaces: joining ${join}: ${reason}`
    }
    case InitPhase.ExecLookup: {
      // runc's wording: podman maps these texts to exit codes 127 and 126.
      const name = f.message
      if (f.step === 0) return `exec: "${name}": executable file not found in $PATH`
      if (f.errno === 13) return `exec: "${name}": permission denied`
      return `exec: "${name}": stat ${name}: ${reason}`
    }
    case InitPhase.Exec:
      return `exec: "${f.message}": ${reason}`
    case InitPhase.CpuAffinity:
      return `process.execCPUAffinity.${f.step === 0 ? 'initial' : 'final'}: sched_setaffinity: ${reason}`
    case InitPhase.Cwd:
      return `config.json /process/cwd: chdir to cwd ("${f.message}") set in config.json failed: ${reason}`
    default:
      return `${PHASE_TEXT[f.phase] ?? `container init failed (phase ${f.phase})`}: ${reason}`
  }
}

/** Steps of the parent's id map writing (native/init.cc): 0 setgroups, 1 uid map, 2 gid map. */
function describeUserMapFailure (init: InitPlan, f: InitFailure, reason: string): string {
  if (f.step === 0) return `config.json /linux/gidMappings: writing "deny" to /proc/PID/setgroups: ${reason}`
  const [key, file, helper] = f.step === 1 ? ['uidMappings', 'uid_map', init.uidMapHelper] : ['gidMappings', 'gid_map', init.gidMapHelper]
  if (helper !== undefined) return `config.json /linux/${key}: ${helper[0]} refused the mappings (its message is above)`
  return `config.json /linux/${key}: writing /proc/PID/${file}: ${reason}` +
    (f.errno === EPERM ? ' (the host ids must be mapped in ocirt\'s own user namespace)' : '')
}

function describeStep (step: { op: number, target: string, source?: string, fstype?: string }): string {
  const names: Record<number, string> = {
    1: `mount ${step.fstype ?? 'bind'} ${step.source ?? ''} on ${step.target}`,
    2: `remount ${step.target}`,
    3: `set propagation of ${step.target}`,
    4: `mknod ${step.target}`,
    5: `bind device ${step.source} on ${step.target}`,
    6: `symlink ${step.target} -> ${step.source}`,
    7: `mask ${step.target}`,
    8: `make ${step.target} read-only`,
    9: `mkdir ${step.target}`,
    10: `set mount attributes on ${step.target}`,
    11: `id-mapped bind mount of ${step.source ?? ''} on ${step.target}`,
    12: `bind mount ${step.source ?? ''} on ${step.target}`,
  }
  return names[step.op] ?? `step on ${step.target}`
}
