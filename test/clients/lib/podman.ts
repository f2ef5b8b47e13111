/**
 * A private podman for one test file: its own --root, --runroot, tmp dir and
 * configuration (containers.conf, storage.conf, registries.conf, policy.json)
 * under a temp dir, the runtime under test as --runtime, and every container
 * under a test-owned cgroup parent.
 *
 * What podman needs on this host (each one was a failure without it): the
 * cgroupfs manager and file events (no systemd, no journald); vfs storage (no
 * storage mounts to leak); no network namespace setup (netns none); file
 * locks instead of the shared /dev/shm/libpod_lock; and default ulimits
 * within what the runtime may set: rootful podman asks for nofile and nproc
 * of 1048576, and this machine runs without CAP_SYS_RESOURCE, so neither the
 * runtime nor podman can raise a hard limit.
 *
 * stop() tears everything down even after a failure: containers (podman rm
 * -af), conmon processes, the processes in the cgroup parent, mounts under
 * the temp dir, the cgroups, the temp dir, and /var/lib/containers (podman
 * load writes its blob-info cache there whatever --root says) if it was not
 * there before.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { atExit } from '../../../conformance/lib/exit.js'
import { ensureSubreaper } from '../../../conformance/lib/reaper.js'
import {
  CLIENT_RUNTIME, type CmdOptions, type CmdResult, SYSTEM_IMAGE_CACHE, cleanupContainersClient, clientTempDir, containersConfigEnv, mountsUnder, mustSucceed, needsCgroups,
  newCgroupParent, processesOf, processesUnder, runCmd, until,
} from './common.js'

export const IMAGE = 'localhost/ocirt-busybox:latest'

/** A hard limit of this process (getrlimit), from /proc/self/limits. */
function hardLimit (name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find(l => l.startsWith(name))
  const hard = line?.slice(name.length).trim().split(/\s+/)[1]
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard)
}

export class Podman {
  readonly cgroupParent = newCgroupParent('podman')
  readonly env: NodeJS.ProcessEnv
  private readonly globals: string[]
  private readonly createdImageCache = !existsSync(SYSTEM_IMAGE_CACHE)
  private stopped = false

  private constructor (readonly base: string) {
    // podman 4.3 itself runs with RLIMIT_NPROC 32768 (measured here): the runtime it starts cannot go above that.
    const nofile = Math.min(hardLimit('Max open files'), 1048576)
    const nproc = Math.min(hardLimit('Max processes'), 32768)
    const containersConf = [
      '[containers]',
      'netns = "none"',
      'log_driver = "k8s-file"',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      // podman sends linux.resources.pids.limit 2048 by default; see needsCgroups().
      ...(needsCgroups() !== false ? ['pids_limit = 0'] : []),
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${base}/events.log"`,
      `tmp_dir = "${base}/tmp"`,
      'lock_type = "file"',
      '[network]',
      `network_config_dir = "${base}/net"`,
    ].join('\n') + '\n'
    this.env = containersConfigEnv(base, containersConf)
    this.globals = ['--root', join(base, 'root'), '--runroot', join(base, 'runroot'), '--tmpdir', join(base, 'tmp'),
      '--runtime', CLIENT_RUNTIME, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'vfs']
  }

  /** A private podman with the image loaded. */
  static async start (image: string): Promise<Podman> {
    ensureSubreaper()
    const p = new Podman(clientTempDir('podman'))
    atExit('containers', () => { p.stopSync() })
    const loaded = await p.podman(['load', '--input', image], { timeoutMs: 60_000 })
    if (loaded.code !== 0) {
      await p.stop()
      mustSucceed(loaded)
    }
    return p
  }

  /** `podman <private globals> ...args`. */
  async podman (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await runCmd(this.base, 'podman', [...this.globals, ...args], { env: this.env, ...options })
  }

  /** `podman run --cgroup-parent=<test-owned> --name NAME [flags] IMAGE argv...`. */
  async run (name: string, flags: string[], argv: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await this.podman(['run', `--cgroup-parent=${this.cgroupParent}`, '--name', name, ...flags, IMAGE, ...argv], options)
  }

  /** `podman inspect --format TEMPLATE NAME`, trimmed. */
  async inspect (name: string, template: string): Promise<string> {
    return mustSucceed(await this.podman(['inspect', '--format', template, name])).stdout.trim()
  }

  /** The container's cgroup path (under the parent): podman names it libpod-<full id>. */
  async cgroupOf (name: string): Promise<string> {
    return `${this.cgroupParent}/libpod-${await this.inspect(name, '{{.Id}}')}`
  }

  /** podman rm -f NAME; what is left of it on the host, for an assertion. */
  async remove (name: string): Promise<{ processes: number[], mounts: string[] }> {
    const id = (await this.podman(['inspect', '--format', '{{.Id}}', name])).stdout.trim()
    await this.podman(['rm', '--force', '--time', '0', name])
    const cgroup = `${this.cgroupParent}/libpod-${id}`
    await until(() => processesUnder(cgroup).length === 0, 5000)
    return {
      processes: id === '' ? [] : processesUnder(cgroup),
      mounts: id === '' ? [] : mountsUnder(this.base).filter(l => l.includes(id)),
    }
  }

  /** Tear everything down. Safe to call twice. Returns what had to be cleaned up by force. */
  async stop (): Promise<string[]> {
    if (this.stopped) return []
    const problems: string[] = []
    const ps = await this.podman(['ps', '--all', '--quiet']).catch(() => undefined)
    const left = ps?.stdout.split('\n').filter(Boolean) ?? []
    if (left.length > 0) {
      problems.push(`containers were still there: ${left.join(' ')}`)
      await this.podman(['rm', '--all', '--force', '--time', '0']).catch(() => undefined)
    }
    // conmon runs `podman container cleanup` after its container exits; let it finish.
    await until(() => processesOf('conmon', this.base).length === 0, 10_000)
    this.stopSync(problems)
    return problems
  }

  private stopSync (problems: string[] = []): void {
    if (this.stopped) return
    this.stopped = true
    cleanupContainersClient(this.base, this.cgroupParent, 'conmon', this.createdImageCache, problems)
  }
}
