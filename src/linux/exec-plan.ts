/**
 * `exec`: the plan of a process that joins a running container. It joins
 * every namespace the container has (its pid namespace through the parent,
 * so the process is born in it), sets no rootfs up (joining the mount
 * namespace puts it in the container's root), and otherwise gets what a
 * container's process gets: rlimits, user, capabilities, no_new_privs, the
 * container's seccomp filter.
 */
import type { InitPlan, NamespaceJoin } from '../native.js'
import type { Process, Spec } from '../spec/types.js'
import type { ContainerPlan } from './plan.js'
import { NAMESPACE_FLAGS } from './namespaces.js'
import { planProcess } from './process.js'
import { planProcessAttributes } from './process-attributes.js'
import { planConsole } from './console.js'
import { planSeccomp } from './seccomp.js'
import { planExecLabel } from './security-labels.js'

/** /proc/PID/ns/<name> of each config namespace type. */
const PROC_NS_NAME: Readonly<Record<string, string>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
}
/** User first (it owns the others), mount last (after it, paths are the container's). */
const JOIN_ORDER = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount']

export interface ExecPlanOptions {
  id: string
  initPid: number
  rootfs: string
  preserveFds: number
  noNewKeyring: boolean
  consoleSocket: string | undefined
}

export function buildExecPlan (config: Spec, process: Process, opts: ExecPlanOptions): ContainerPlan {
  const types = new Set<string>((config.linux?.namespaces ?? []).map(n => n.type))
  const joinNamespaces: NamespaceJoin[] = JOIN_ORDER
    .filter(t => types.has(t))
    .map(t => ({ type: NAMESPACE_FLAGS[t], path: `/proc/${opts.initPid}/ns/${PROC_NS_NAME[t]}` }))
  const execLabel = planExecLabel(process, 'process', '')
  const processPlan = planProcess(process, opts.rootfs)
  // The container's personality holds for every process in it, as for its init.
  Object.assign(processPlan.process, planProcessAttributes(process, config.linux?.personality, 'process', '', true), execLabel.label)
  const seccomp = planSeccomp(config.linux?.seccomp)
  const init: InitPlan = {
    cloneFlags: 0,
    unshareFlags: 0,
    joinNamespaces,
    joinPidNamespace: types.has('pid') ? `/proc/${opts.initPid}/ns/pid` : '',
    forkAfterUnshare: false,
    timeOffsets: '',
    uidMap: '',
    gidMap: '',
    setgroupsDeny: false,
    oomScoreAdj: process.oomScoreAdj ?? null,
    hostname: null,
    domainname: null,
    rootfs: '',
    rootPropagation: 0,
    mountSteps: [],
    noPivot: false,
    postPivotSteps: [],
    sysctls: [],
    rlimits: processPlan.rlimits,
    process: processPlan.process,
    preserveFds: opts.preserveFds,
    stateDir: '',
    sessionKeyring: opts.noNewKeyring ? '' : `_ses.${opts.id}`,
    ...planConsole(process, opts.consoleSocket, 'process', ''),
    pauseBeforePivot: false,
    joinOnly: true,
    execImmediately: true,
    ...(seccomp !== null ? { seccompFilter: seccomp.filter, seccompFlags: seccomp.flags } : {}),
  }
  return { init, mountOrigins: [], postPivotOrigins: [], warnings: [...execLabel.warnings, ...processPlan.warnings, ...(seccomp?.warnings ?? [])] }
}
