/**
 * config.json → InitPlan: everything the container's init does between
 * clone3 and exec, decided here so that native/ only executes it.
 */
import { requireProcess } from '../spec/semantic.js'
import { ConfigError } from '../errors.js'
import type { InitPlan } from '../native.js'
import { DumpableUntil } from '../generated/plan.js'

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
import type { CgroupHostView } from './cgroups/hierarchy.js'
import { type HostFacts, hostFacts, rootlessByDefault } from './host-facts.js'
import { SPEC_VERSION } from '../version.js'

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
  /** The host's cgroup mounts and this process's cgroups, read once for the plan and the cgroup manager (create); default: read here. */
  cgroupHost?: CgroupHostView
}

/**
 * The container's init: the wire plan without the fields only a process
 * joining a running container sets (JoinPlan, exec-plan.ts). An init makes
 * its own root, and waits for `start` before it execs.
 */
export type ContainerInitPlan = Omit<InitPlan, 'joinOnly' | 'execImmediately' | 'chrootTo'>

/** The container's plan (create, run, restore) and what each of its steps came from, to explain a failure. */
export interface ContainerPlan {
  init: ContainerInitPlan
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
    cgroupHost: opts.cgroupHost,
  })
  const processPlan = planProcess(containerProcess, rootfs.rootfs)
  const execLabel = planExecLabel(containerProcess, 'config.json', '/process')
  Object.assign(processPlan.process, execLabel.label)
  const labelWarnings = applyMountLabel(spec.linux?.mountLabel, rootfs.mountSteps)
  Object.assign(processPlan.process, planProcessAttributes(containerProcess, spec.linux?.personality, 'config.json', '/process', false))
  const steps = (planned: PlannedStep[]) => planned.map(p => p.step)
  const init: ContainerInitPlan = {
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
 * native/start_hooks.cc): with the container's identity, capabilities,
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

// The failure messages live in failure.ts; re-exported for the callers of this module.
export { describeFailure } from './failure.js'
