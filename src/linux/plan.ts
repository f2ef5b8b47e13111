/**
 * config.json → InitPlan: everything the container's init does between
 * clone3 and exec, decided here so that native/ only executes it.
 */
import { ConfigError } from '../errors.js'
import { requireProcess } from '../spec/semantic.js'
import type { InitPlan, InitFailure } from '../native.js'
import { InitPhase, MountOp } from '../native.js'

const EINVAL = 22
const EXDEV = 18
const ELOOP = 40
import type { Spec } from '../spec/types.js'
import { planNamespaces } from './namespaces.js'
import { planProcess } from './process.js'
import { planProcessAttributes } from './process-attributes.js'
import { applyMountLabel, planExecLabel } from './security-labels.js'
import type { PlannedStep } from './rootfs.js'
import { planRootfs } from './rootfs.js'
import { containerIdMapping } from './idmap-mount.js'
import { planConsole } from './console.js'
import { planSeccomp } from './seccomp.js'
import { planSysctls } from './sysctl.js'
import { checkSpecSupported } from './unsupported.js'

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
}

/** The plan and what each of its steps came from, to explain a failure. */
export interface ContainerPlan {
  init: InitPlan
  mountOrigins: string[]
  postPivotOrigins: string[]
  warnings: string[]
}

export function buildPlan (spec: Spec, opts: PlanOptions): ContainerPlan {
  // runtime.md "Start": start MUST fail without process; runc refuses at create already.
  const containerProcess = requireProcess(spec)
  checkSpecSupported(spec)
  const ns = planNamespaces(spec)
  const resources = spec.linux?.resources ?? {}
  for (const key of Object.keys(resources)) {
    // Device rules are accepted: without cgroups, /dev holds only the default
    // and configured nodes, which is what a deny-all-but-these rule allows.
    if (key !== 'devices') throw new ConfigError('config.json', `/linux/resources/${key}`, 'cgroup resources are not supported yet by this build of ocirt')
  }
  const rootfs = planRootfs(spec, {
    bundle: opts.bundle,
    userNamespace: ns.newTypes.has('user') || ns.joinNamespaces.some(j => j.type === 0x10000000),
    cgroupNamespace: ns.privateTypes.has('cgroup'),
    containerIdMapping: containerIdMapping(ns),
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
    setgroupsDeny: false,
    oomScoreAdj: containerProcess.oomScoreAdj ?? null,
    hostname: spec.hostname ?? null,
    domainname: spec.domainname ?? null,
    rootfs: rootfs.rootfs,
    rootPropagation: rootfs.rootPropagation,
    mountSteps: steps(rootfs.mountSteps),
    noPivot: opts.noPivot,
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
  const warnings = [...execLabel.warnings, ...labelWarnings, ...processPlan.warnings, ...(seccomp?.warnings ?? [])]
  // config.md: execCPUAffinity "is not applicable to the container's init process".
  if (containerProcess.execCPUAffinity !== undefined) warnings.push('process.execCPUAffinity ignored: it applies to exec, not to the container\'s init (config.md)')
  if (spec.linux?.cgroupsPath !== undefined) warnings.push('linux.cgroupsPath is not applied yet: the container stays in the cgroup of its caller')
  return {
    init,
    mountOrigins: rootfs.mountSteps.map(p => p.origin),
    postPivotOrigins: rootfs.postPivotSteps.map(p => p.origin),
    warnings,
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
  [InitPhase.OomScoreAdj]: 'setting oom_score_adj',
  [InitPhase.Clone]: 'clone3',
  [InitPhase.TimeOffsets]: 'config.json /linux/timeOffsets: writing /proc/self/timens_offsets',
  [InitPhase.Fork]: 'forking the container process into its new pid or time namespace',
  [InitPhase.Seccomp]: 'config.json /linux/seccomp: loading the filter',
  [InitPhase.Console]: 'setting up the terminal (process.terminal)',
  [InitPhase.ConsoleSocket]: 'passing the pty master to --console-socket',
  [InitPhase.Keyring]: 'joining a new session keyring (--no-new-keyring keeps the caller\'s)',
  [InitPhase.Personality]: 'linux.personality: personality(2)',
  [InitPhase.Scheduler]: 'process.scheduler: sched_setattr(2)',
  [InitPhase.IoPriority]: 'process.ioPriority: ioprio_set(2)',
  [InitPhase.SecurityLabel]: 'process.apparmorProfile / process.selinuxLabel: writing /proc/thread-self/attr/exec',
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
    case InitPhase.Rlimit:
      return `config.json /process/rlimits/${f.step}: setrlimit: ${reason}`
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
  }
  return names[step.op] ?? `step on ${step.target}`
}
