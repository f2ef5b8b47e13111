/**
 * runtime.md "Create": validate, plan, clone the init and leave it waiting
 * for start. A failure at any point leaves nothing behind: no process (the
 * init dies with us until it reports ready, and is killed on failure), no
 * mounts (they live in the init's mount namespace) and no state dir.
 */
import { closeSync, constants, openSync, renameSync, rmSync, writeSync } from '../linux/io.js'
import { basename, dirname, join, resolve } from '../linux/path.js'
import { errorLine, OcirtError } from '../errors.js'
import type { ContainerPlan, PlanOptions } from '../linux/plan.js'
import { buildPlan, describeFailure } from '../linux/plan.js'
import type { InitFailure } from '../native.js'
import { loadNative } from '../native.js'
import type { Logger } from '../log.js'
import { readProcStat } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { newContainerState, StateStore, validateId } from '../state/store.js'
import type { Spec } from '../spec/types.js'
import type { Bundle } from './bundle.js'
import { loadBundle } from './bundle.js'
import { runHooks } from './hooks.js'
import { seccompAgent } from './seccomp-agent.js'
import { stateJson } from './state.js'
import { mark } from '../trace.js'
import type { CgroupPlan, ContainerCgroup } from '../linux/cgroups/index.js'
import { planCgroup, setUpCgroup } from '../linux/cgroups/index.js'
import { readCgroupHostView } from '../linux/cgroups/hierarchy.js'

export interface CreateOptions {
  root: string
  id: string
  bundle: string | undefined
  pidFile: string | undefined
  consoleSocket: string | undefined
  preserveFds: number
  noPivot: boolean
  noNewKeyring: boolean
  /** --systemd-cgroup: cgroupsPath is slice:prefix:name. */
  systemdCgroup?: boolean
  /** The global --rootless, resolved. */
  rootless?: boolean
  log: Logger
  /** The bundle, if the caller has loaded (and so validated) it already. */
  loaded?: Bundle
}

/**
 * Writes the pid file whole or not at all (containerd reads it as soon as
 * create returns). The temp file is made beside it with O_EXCL|O_NOFOLLOW
 * under an unguessable name: another local user who can write that directory
 * cannot plant a symlink there that would make us overwrite a file of root's.
 */
/**
 * `bytes` random bytes as hex, from the Web Crypto global: importing node:crypto
 * for randomBytes cost every create 5.9 M instructions and 3.6 MiB of peak RSS
 * in bun (issue 11, docs/performance.md "Start-up").
 */
function randomHex (bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), b => b.toString(16).padStart(2, '0')).join('')
}

export function writePidFile (path: string, pid: number): void {
  const abs = resolve(path)
  const tmp = join(dirname(abs), `.${basename(abs)}.${randomHex(6)}.tmp`)
  let fd: number
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  } catch (e) {
    throw new OcirtError(`--pid-file ${abs}: cannot create ${tmp}: ${errorLine(e)}`)
  }
  try {
    writeSync(fd, String(pid))
    closeSync(fd)
    renameSync(tmp, abs)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw new OcirtError(`--pid-file ${abs}: ${errorLine(e)}`)
  }
}

/** What create decides before it touches the system; create --dry-run prints it. */
export interface CreatePlan {
  id: string
  bundle: string
  spec: Spec
  store: StateStore
  planOptions: PlanOptions
  plan: ContainerPlan
  cgroupPlan: CgroupPlan
}

/** Everything that can be checked before touching the system is checked here. */
export function planCreate (opts: CreateOptions): CreatePlan {
  const id = validateId(opts.id)
  const { dir: bundle, spec } = opts.loaded ?? loadBundle(opts.bundle)
  mark('config')
  const store = new StateStore(opts.root)
  const stateDir = store.dir(id)
  const cgroupHost = readCgroupHostView()
  const planOptions: PlanOptions = { bundle, stateDir, id, preserveFds: opts.preserveFds, noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring, consoleSocket: opts.consoleSocket, cgroupHost }
  if (opts.rootless !== undefined) planOptions.rootless = opts.rootless
  const plan = buildPlan(spec, planOptions)
  const cgroupPlan = planCgroup(spec, opts.systemdCgroup === true, cgroupHost)
  for (const w of [...plan.warnings, ...cgroupPlan.warnings]) opts.log.warn(w)
  mark('plan')
  return { id, bundle, spec, store, planOptions, plan, cgroupPlan }
}

export function createContainer (opts: CreateOptions): StoredState {
  const { id, bundle, spec, store, planOptions, cgroupPlan, plan: firstPlan } = planCreate(opts)
  let plan = firstPlan

  store.reserve(id)
  const native = loadNative()
  mark('addon')
  const state = newContainerState(spec, id, bundle, plan.init.rootfs)
  let cgroup: ContainerCgroup | undefined
  let pid = 0
  let recordedFd = -1
  /** spawnInit returned: the init is ours to kill. (When spawnInit throws, it has killed and reaped the init itself.) */
  let spawned = false
  let hookFailed = false
  /** Only a pid file this create wrote is removed on failure; one that was there before is the caller's. */
  let pidFileWritten = false
  // runtime.md lifecycle steps 3-5, while the init waits before pivot_root.
  const runCreateHooks = (initPid: number): void => {
    pid = initPid
    state.pid = initPid
    try {
      // runtime.md "State": `creating` is lifecycle step 2 only; these hooks
      // run after it (steps 3-5), so they get `created`, as from crun (runc
      // 1.1.5 sends `creating`: conformance/deviations.md).
      for (const name of ['prestart', 'createRuntime', 'createContainer'] as const) runHooks(name, state, 'created', opts.log)
    } catch (e) {
      hookFailed = true
      throw e
    }
  }
  try {
    // Limits are in place before the init runs its first instruction.
    cgroup = setUpCgroup(cgroupPlan, spec.linux?.cgroupsPath, id, m => opts.log.warn(m), plan.rootless)
    // Rootless without a cgroup of its own: the container's /sys/fs/cgroup shows the caller's.
    if (cgroup === undefined) plan = buildPlan(spec, { ...planOptions, inCallerCgroup: true })
    if (cgroup !== undefined) {
      state.cgroup = cgroup
      Object.assign(plan.init, cgroupPlan.manager.placement(cgroup))
    }
    mark('cgroup')
    // pid 0: `state` and `list` report the container as "creating" meanwhile
    // (and a delete --force of what a killed create left finds the cgroup).
    store.write(state)
    try {
      // A filter loaded without no_new_privs (before the capabilities are dropped) hands its listener over now.
      const agent = seccompAgent(spec, () => stateJson(state, 'creating'))
      const spawn = native.spawnInit(plan.init, runCreateHooks, agent === undefined
        ? undefined
        : (initPid, fd) => { state.pid = initPid; agent(initPid, fd) })
      pid = spawn.pid
      recordedFd = spawn.recordedFd
      spawned = true
    } catch (e) {
      const failure = (e as { failure?: InitFailure }).failure
      if (failure === undefined) throw e
      throw new OcirtError(describeFailure(plan, failure, n => native.strerror(n)))
    }
    mark('init')
    const stat = readProcStat(pid)
    if (stat === null) throw new OcirtError('container init exited right after create')
    state.pid = pid
    state.initStartTime = stat.startTime
    store.write(state)
    if (opts.pidFile !== undefined) {
      writePidFile(opts.pidFile, pid)
      pidFileWritten = true
    }
    // Recorded: the init may now outlive us (until then a kill -9 of ocirt takes it along).
    if (recordedFd >= 0) {
      writeSync(recordedFd, 'r')
      closeSync(recordedFd)
      recordedFd = -1
    }
    mark('stored')
    return state
  } catch (e) {
    if (recordedFd >= 0) closeSync(recordedFd)
    if (spawned) {
      const fd = native.pidfdOpen(pid)
      if (fd >= 0) {
        native.pidfdSendSignal(fd, 9)
        native.pidfdWait(fd, 5000)
        closeSync(fd)
      }
      try { native.waitPid(pid, false) } catch { /* reaped elsewhere */ }
    }
    if (cgroup !== undefined) {
      try { cgroupPlan.manager.remove(cgroup) } catch (r) { opts.log.warn((r as Error).message) }
    }
    if (pidFileWritten && opts.pidFile !== undefined) rmSync(resolve(opts.pidFile), { force: true })
    store.remove(id)
    // After a failing create hook the lifecycle goes on at steps 12 and 13: destroy, then poststop.
    if (hookFailed) runHooks('poststop', state, 'stopped', opts.log, true)
    throw e
  }
}
