/**
 * `checkpoint` (runc's, not in the spec): CRIU dumps the tree of the
 * container's init into an image directory. As runc, the container is then
 * gone (criu killed it; its state is removed and the poststop hooks run)
 * unless --leave-running or --pre-dump keep it running.
 *
 * The dump is `criu dump -t <init>` with the container's rootfs as root, every
 * bind mount from the host declared external by its mountpoint (restore
 * binds the host paths of the restoring bundle there again) and a joined
 * network namespace declared external. The init's stdio are recorded in
 * descriptors.json (runc's file), so restore can hand the new ones in.
 */
import { mkdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { OcirtError, UsageError } from '../errors.js'
import { buildPlan } from '../linux/plan.js'
import type { Logger } from '../log.js'
import type { CriuCommonOptions } from './criu.js'
import { checkCriu, checkpointableConfig, commonCriuArgs, DESCRIPTORS_FILE, EXTERNAL_NET_KEY, externalMounts, runCriu } from './criu.js'
import { deleteContainer } from './delete.js'
import { findContainer } from './lookup.js'

export interface CheckpointOptions extends CriuCommonOptions {
  root: string
  id: string
  criu: string
  /** Default: ./checkpoint, as runc. */
  imagePath: string | undefined
  /** Where criu's log goes; default: the image dir. */
  workPath: string | undefined
  /** A previous (pre-)dump, relative to the image dir. */
  parentPath: string | undefined
  leaveRunning: boolean
  preDump: boolean
  autoDedup: boolean
  /** ADDRESS:PORT of a criu page server to send the memory to. */
  pageServer: string | undefined
  log: Logger
}

function pageServerArgs (value: string | undefined): string[] {
  if (value === undefined || value === '') return []
  const m = /^(.+):(\d+)$/.exec(value)
  if (m === null) throw new UsageError(`flag --page-server takes ADDRESS:PORT, not "${value}"`)
  // Neither group is optional in the pattern: a match has both.
  return ['--page-server', '--address', m[1]!.replace(/^\[(.*)\]$/, '$1'), '--port', m[2]!]
}

/** runc's rule: the parent image is named relative to the image dir, and must be a directory there. */
function parentArgs (imagePath: string, parentPath: string | undefined): string[] {
  if (parentPath === undefined || parentPath === '') return []
  if (isAbsolute(parentPath)) throw new UsageError('flag --parent-path must be relative to --image-path')
  const real = join(imagePath, parentPath)
  let isDir = false
  try { isDir = statSync(real).isDirectory() } catch { /* reported below */ }
  if (!isDir) throw new UsageError(`flag --parent-path: ${real} is not a directory`)
  // Memory tracking lets the dump write only the pages changed since the parent.
  return ['--prev-images-dir', parentPath, '--track-mem']
}

/** What the init's fds 0-2 are (e.g. "pipe:[1234]", "/dev/null"), for restore's --inherit-fd. */
function stdioDescriptors (pid: number): string[] {
  return [0, 1, 2].map(fd => {
    try { return readlinkSync(`/proc/${pid}/fd/${fd}`) } catch { return '' }
  })
}

export function checkpointContainer (opts: CheckpointOptions): void {
  const { state, status, dir } = findContainer(opts.root, opts.id)
  // As runc: only a running container has a process tree worth dumping.
  if (status !== 'running') throw new OcirtError(`container "${state.id}" cannot be checkpointed in the ${status} state`)
  const { netnsPath } = checkpointableConfig(state.config)
  // Flags are checked before criu runs: a typo must not cost a dump.
  const common = commonCriuArgs(opts)
  const imagePath = resolve(opts.imagePath ?? 'checkpoint')
  const workPath = resolve(opts.workPath ?? imagePath)
  const pageServer = pageServerArgs(opts.pageServer)
  const parent = parentArgs(imagePath, opts.parentPath)
  checkCriu(opts.criu)

  const plan = buildPlan(state.config, { bundle: state.bundle, stateDir: dir, id: state.id, preserveFds: 0, noPivot: false, noNewKeyring: true, consoleSocket: undefined })
  mkdirSync(imagePath, { recursive: true, mode: 0o700 })
  mkdirSync(workPath, { recursive: true, mode: 0o700 })
  const externals = externalMounts(plan.init).flatMap(m => ['--external', `mnt[${m.mountpoint}]:${m.mountpoint}`])
  if (netnsPath !== undefined) {
    externals.push('--external', `net[${statSync(`/proc/${state.pid}/ns/net`).ino}]:${EXTERNAL_NET_KEY}`)
  }
  writeFileSync(join(imagePath, DESCRIPTORS_FILE), JSON.stringify(stdioDescriptors(state.pid)))

  const action = opts.preDump ? 'pre-dump' : 'dump'
  const logName = `${action}.log`
  const args = [
    action, '--tree', String(state.pid), '--images-dir', imagePath, '--work-dir', workPath,
    '--log-file', logName, '-v4', '--root', state.rootfs,
    ...common, ...externals, ...parent, ...pageServer,
    ...(opts.preDump ? ['--track-mem'] : []),
    ...(opts.leaveRunning && !opts.preDump ? ['--leave-running'] : []),
    ...(opts.autoDedup ? ['--auto-dedup'] : []),
  ]
  runCriu(opts.criu, args, join(workPath, logName), ['ignore', 'pipe', 'pipe'], `checkpoint of container "${state.id}"`)
  // criu killed the tree: what is left is the state, removed as delete would (with the poststop hooks).
  if (!opts.leaveRunning && !opts.preDump) deleteContainer(opts.root, state.id, true, opts.log)
}
