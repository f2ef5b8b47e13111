/**
 * `restore` (runc's, not in the spec): a container made from a checkpoint
 * instead of from create + start. The bundle (--bundle) gives the config and
 * the rootfs, as for create; CRIU recreates the process tree, its namespaces
 * and its mounts in that rootfs, binding the bundle's host paths where the
 * dump had external mounts. The state dir is then the one of a running
 * container (no exec.sock), so state, kill, exec and delete work as after
 * start.
 *
 * Hooks: the create-time hooks are not run again (runc runs prestart and
 * createRuntime from CRIU's RPC notifications, which the CLI does not give);
 * poststop runs at delete as for any container.
 *
 * A failure leaves nothing behind: no state dir, no pid file, no process
 * (criu kills what it restored when it fails), no mount (the rootfs bind is
 * lazily unmounted in every case).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { OcirtError, UsageError } from '../errors.js'
import { buildPlan } from '../linux/plan.js'
import type { Logger } from '../log.js'
import { readProcStat } from '../state/status.js'
import type { StoredState } from '../state/store.js'
import { newContainerState, StateStore, validateId } from '../state/store.js'
import { loadBundle } from './bundle.js'
import { writePidFile } from './create.js'
import type { CriuCommonOptions } from './criu.js'
import { checkCriu, checkpointableConfig, commonCriuArgs, DESCRIPTORS_FILE, EXTERNAL_NET_KEY, externalMounts, runCriu } from './criu.js'
import { stopContainer } from './signal.js'

export interface RestoreOptions extends CriuCommonOptions {
  root: string
  id: string
  criu: string
  bundle: string | undefined
  /** Default: ./checkpoint, as runc. */
  imagePath: string | undefined
  workPath: string | undefined
  pidFile: string | undefined
  consoleSocket: string | undefined
  log: Logger
}

/** The init's stdio at dump time, from descriptors.json (runc's format: an array of three link targets). */
function savedDescriptors (imagePath: string): string[] {
  const path = join(imagePath, DESCRIPTORS_FILE)
  if (!existsSync(path)) return []
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown
    return Array.isArray(value) ? value.map(v => String(v)) : []
  } catch (e) {
    throw new OcirtError(`--image-path: ${path} is not valid JSON: ${(e as Error).message}`)
  }
}

function run (command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.status !== 0) throw new OcirtError(`${command} ${args.join(' ')} failed: ${r.stderr?.trim() ?? r.error?.message}`)
}

/**
 * runc's layout: criu wants the root of the restored mount namespace to be a
 * mount point, so the rootfs is bound at a fresh directory for the restore
 * only; the restored namespace keeps its own copy of it. The directory is not
 * under the state dir, and is removed with rmdir only: a recursive removal
 * must never reach into a rootfs that failed to unmount.
 */
function withRootMount<T> (rootfs: string, fn: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-criu-root-'))
  try {
    run('mount', ['--rbind', rootfs, root])
  } catch (e) {
    rmdirSync(root)
    throw e
  }
  try {
    return fn(root)
  } finally {
    // MNT_DETACH takes the submounts of the rbind with it.
    run('umount', ['--lazy', root])
    rmdirSync(root)
  }
}

export function restoreContainer (opts: RestoreOptions): StoredState {
  const id = validateId(opts.id)
  const imagePath = resolve(opts.imagePath ?? 'checkpoint')
  if (!existsSync(join(imagePath, 'inventory.img'))) {
    throw new UsageError(`--image-path ${imagePath}: no CRIU checkpoint there (no inventory.img)`)
  }
  if (opts.consoleSocket !== undefined) {
    throw new UsageError('flag --console-socket: restoring a container with a terminal is not supported by ocirt')
  }
  const { dir: bundle, spec } = loadBundle(opts.bundle)
  const { netnsPath } = checkpointableConfig(spec)
  const common = commonCriuArgs(opts)
  const workPath = resolve(opts.workPath ?? imagePath)
  const descriptors = savedDescriptors(imagePath)
  checkCriu(opts.criu)

  const store = new StateStore(opts.root)
  const stateDir = store.dir(id)
  const plan = buildPlan(spec, { bundle, stateDir, id, preserveFds: 0, noPivot: false, noNewKeyring: true, consoleSocket: undefined })
  for (const w of plan.warnings) opts.log.warn(w)
  store.reserve(id)
  const state = newContainerState(spec, id, bundle, plan.init.rootfs)
  let netnsFd: number | undefined
  try {
    // pid 0: "creating" until criu has given the tree back.
    store.write(state)
    mkdirSync(workPath, { recursive: true, mode: 0o700 })
    const pidPath = join(stateDir, 'restore.pid')
    const args = [
      'restore', '--images-dir', imagePath, '--work-dir', workPath, '--log-file', 'restore.log', '-v4',
      '--restore-detached', '--pidfile', pidPath, ...common,
      ...externalMounts(plan.init).flatMap(m => ['--external', `mnt[${m.mountpoint}]:${m.source}`]),
    ]
    // The stdio pipes of the dumped init are gone: the restored one gets ours (runc does the same).
    descriptors.forEach((d, fd) => { if (d.startsWith('pipe:')) args.push('--inherit-fd', `fd[${fd}]:${d}`) })
    const stdio: Array<'inherit' | number> = ['inherit', 'inherit', 'inherit']
    if (netnsPath !== undefined) {
      netnsFd = openSync(netnsPath, 'r')
      args.push('--inherit-fd', `fd[${stdio.length}]:${EXTERNAL_NET_KEY}`)
      stdio.push(netnsFd)
    }
    withRootMount(plan.init.rootfs, root => {
      runCriu(opts.criu, [...args, '--root', root], join(workPath, 'restore.log'), stdio, `restore of container "${id}"`)
    })
    const pid = Number(readFileSync(pidPath, 'utf8').trim())
    rmSync(pidPath, { force: true })
    const stat = readProcStat(pid)
    if (!Number.isInteger(pid) || pid <= 0 || stat === null) throw new OcirtError(`restore of container "${id}": the restored init (pid file: "${pid}") is not running`)
    state.pid = pid
    state.initStartTime = stat.startTime
    store.write(state)
    if (opts.pidFile !== undefined) writePidFile(opts.pidFile, pid)
    return state
  } catch (e) {
    if (state.pid > 0) stopContainer(state)
    // writePidFile is the last step: a failure before it leaves the caller's file alone.
    store.remove(id)
    throw e
  } finally {
    if (netnsFd !== undefined) closeSync(netnsFd)
  }
}
