/**
 * `exec`: the plan of a process that joins a running container. It joins
 * every namespace the container has (its pid namespace through the parent,
 * so the process is born in it), sets no rootfs up (joining the mount
 * namespace puts it in the container's root), and otherwise gets what a
 * container's process gets: rlimits, user, capabilities, no_new_privs, the
 * container's seccomp filter.
 */
import { readFileSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { InitPlan, NamespaceJoin } from '../native.js'
import type { Process, Spec } from '../spec/types.js'
import { JOIN_ORDER, JOIN_ORDER_WITH_PID, NAMESPACE_FLAGS, PROC_NS_NAME } from './namespaces.js'
import { planProcess } from './process.js'
import { planProcessAttributes } from './process-attributes.js'
import { planConsole } from './console.js'
import { planSeccomp } from './seccomp.js'
import { planExecLabel } from './security-labels.js'
import type { Caller } from './rootless.js'
import { currentCaller } from './rootless.js'
import { type HostFacts, hostFacts, rootlessByDefault } from './host-facts.js'

function setgroupsDenied (pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny'
  } catch {
    return false
  }
}

export interface ExecPlanOptions {
  id: string
  initPid: number
  rootfs: string
  preserveFds: number
  noNewKeyring: boolean
  consoleSocket: string | undefined
  /** The global --rootless, resolved; default: rootlessByDefault (host-facts.ts). */
  rootless?: boolean
  /** The host's facts; default: this process's, read once (host-facts.ts). */
  hostFacts?: HostFacts
  /** Who runs ocirt; default: this process. */
  caller?: Caller
}

/**
 * What a process joining a running container does: join its namespaces (its
 * pid namespace through the parent, or by a fork after joining), take the
 * container's cgroup, oom score, rlimits, identity, capabilities and seccomp
 * filter, get a console or preserved fds, and exec at once. It makes no
 * namespace, id map, hostname or mount, and waits for no `start`: none of
 * the container's init's fields are here. The fields are the wire plan's
 * (InitPlan in src/native.ts), so each keeps its one definition and comment there.
 */
export type JoinPlan = Pick<InitPlan,
  | 'joinNamespaces' | 'joinPidNamespace' | 'forkAfterUnshare' | 'setgroupsDeny' | 'oomScoreAdj' | 'chrootTo'
  | 'cgroupProcs' | 'cloneIntoCgroup' | 'selfPlaceTasks'
  | 'rlimits' | 'process' | 'preserveFds' | 'sessionKeyring'
  | 'terminal' | 'consoleSocket' | 'consoleRows' | 'consoleCols'
  | 'seccompFilter' | 'seccompFlags'>

/** An exec's plan: the joining process's, and what ocirt reports around it. */
export interface ExecPlan {
  join: JoinPlan
  warnings: string[]
  /** ocirt runs without privilege, as ContainerPlan.rootless (plan.ts). */
  rootless: boolean
}

/**
 * The wire plan for a joining process. The wire has one struct for the
 * container's init and for exec because the native child runs one sequence
 * for both, skipping the init's steps when joinOnly is set (native/); a
 * native struct of exec's own is later work (issue 13). So the init's fields
 * get their "none" values here, and only here.
 */
export function joinWirePlan (join: JoinPlan): InitPlan {
  return {
    cloneFlags: 0,
    unshareFlags: 0,
    timeOffsets: '',
    uidMap: '',
    gidMap: '',
    hostname: null,
    domainname: null,
    rootfs: '',
    rootPropagation: 0,
    mountSteps: [],
    noPivot: false,
    postPivotSteps: [],
    sysctls: [],
    stateDir: '',
    pauseBeforePivot: false,
    ...join,
    joinOnly: true,
    execImmediately: true,
  }
}

export function buildExecPlan (config: Spec, process: Process, opts: ExecPlanOptions): ExecPlan {
  const types = new Set<string>((config.linux?.namespaces ?? []).map(n => n.type))
  const facts = opts.hostFacts ?? hostFacts()
  // setns into a pid namespace needs CAP_SYS_ADMIN in our own user namespace
  // as well: without it (rootless) the child joins it after the container's
  // user namespace, and forks into it. The child does so too when ocirt runs
  // in a user namespace (a rootless engine's): the parent could join the
  // container's pid namespace but not return to its own, owned by the
  // initial user namespace, and the kernel then refuses it new threads.
  const childJoinsPid = types.has('pid') && ((types.has('user') && !(opts.caller ?? currentCaller()).capSysAdmin) || facts.inUserNamespace)
  const joinNamespaces: NamespaceJoin[] = (childJoinsPid ? JOIN_ORDER_WITH_PID : JOIN_ORDER)
    .filter(t => types.has(t))
    .map(t => ({ type: NAMESPACE_FLAGS[t], path: `/proc/${opts.initPid}/ns/${PROC_NS_NAME[t]}` }))
  const execLabel = planExecLabel(process, 'process', '')
  const processPlan = planProcess(process, opts.rootfs)
  // The container's personality holds for every process in it, as for its init.
  Object.assign(processPlan.process, planProcessAttributes(process, config.linux?.personality, 'process', '', true), execLabel.label)
  const seccomp = planSeccomp(config.linux?.seccomp)
  const join: JoinPlan = {
    joinNamespaces,
    joinPidNamespace: types.has('pid') && !childJoinsPid ? `/proc/${opts.initPid}/ns/pid` : '',
    forkAfterUnshare: childJoinsPid,
    // A container whose user namespace denies setgroups (its gid map was
    // written without CAP_SETGID) cannot set groups for this process either.
    // Without one of its own the container is in ocirt's user namespace, which may deny it too (unshare -r).
    setgroupsDeny: types.has('user') ? setgroupsDenied(opts.initPid) : facts.setgroupsDenied,
    oomScoreAdj: process.oomScoreAdj ?? null,
    // A container without a mount namespace of its own (namespaces.ts): its
    // root is a detached tree the init's root names; the mount namespace,
    // the runtime's, is not joined.
    ...(types.has('mount') ? {} : { chrootTo: `/proc/${opts.initPid}/root` }),
    rlimits: processPlan.rlimits,
    process: processPlan.process,
    preserveFds: opts.preserveFds,
    sessionKeyring: opts.noNewKeyring ? '' : `_ses.${opts.id}`,
    ...planConsole(process, opts.consoleSocket, 'process', ''),
    ...(seccomp !== null ? { seccompFilter: seccomp.filter, seccompFlags: seccomp.flags } : {}),
  }
  if (join.setgroupsDeny && processPlan.process.additionalGids.length > 0) {
    throw new ConfigError('process', '/user/additionalGids', 'the container\'s user namespace denies setgroups (rootless): no additional groups can be set')
  }
  return { join, warnings: [...execLabel.warnings, ...processPlan.warnings, ...(seccomp?.warnings ?? [])], rootless: opts.rootless ?? rootlessByDefault(false, facts) }
}
