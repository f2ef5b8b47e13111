/**
 * A private containerd for one test file: its own root, state dir, socket and
 * namespace under a temp dir, the busybox image imported, and `ctr` pointed
 * at it. containerd's runc v2 shim runs the runtime under test (`ctr run
 * --runc-binary`), with its --root in the temp dir too (`--runc-root`).
 *
 * Everything is torn down in stop(), even after a failure: tasks, containers,
 * shims (our children: this process is a subreaper), the processes of the
 * test-owned cgroup parent, mounts under the temp dir, the cgroups, the temp
 * dir, and what containerd always makes under /run/containerd (shim sockets
 * in /run/containerd/s) if it was not there before.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { atExit } from '../../../conformance/lib/exit.js'
import { ensureSubreaper, spawnTracked } from '../../../conformance/lib/reaper.js'
import {
  CLIENT_RUNTIME, type CmdOptions, type CmdResult, clientTempDir, forceCleanup, mountsUnder, mustSucceed, needsCgroups,
  newCgroupParent, processesOf, processesUnder, runCmd, sleep, until,
} from './common.js'

/** Where containerd 1.6 puts shim sockets whatever its state dir (a constant in the shim code). */
const RUN_CONTAINERD = '/run/containerd'

export const IMAGE = 'localhost/ocirt-busybox:latest'

export class Containerd {
  readonly socket: string
  readonly namespace: string
  readonly cgroupParent: string
  readonly runcRoot: string
  private daemon: ChildProcess | undefined
  private readonly createdRunContainerd: boolean
  private stopped = false
  /** Every container id run, to find their shim sockets. */
  private readonly ids = new Set<string>()

  private constructor (readonly base: string, client: string, namespace?: string) {
    this.socket = join(base, 'containerd.sock')
    this.namespace = namespace ?? `ocirt-test-${base.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`
    this.cgroupParent = newCgroupParent(client)
    this.runcRoot = join(base, 'runc')
    this.createdRunContainerd = !existsSync(RUN_CONTAINERD)
  }

  /**
   * Start containerd and import the images. With `cri`, its CRI plugin is
   * enabled and configured by the TOML lines `cri` returns (the plugin's
   * section and below), and everything lives in the CRI's namespace.
   */
  static async start (image: string | string[], cri?: { namespace: string, config: (c: Containerd) => string[] }): Promise<Containerd> {
    ensureSubreaper()
    const c = new Containerd(clientTempDir(cri === undefined ? 'containerd' : 'cri'), cri === undefined ? 'containerd' : 'cri', cri?.namespace)
    atExit('containers', () => { c.stopSync() })
    // Only what the tests need: no snapshotters this host lacks, no tracing; no CRI unless asked for.
    const disabled = [...(cri === undefined ? ['io.containerd.grpc.v1.cri'] : []), 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.aufs', 'io.containerd.tracing.processor.v1.otlp', 'io.containerd.internal.v1.tracing']
    const config = [
      'version = 2',
      `root = "${c.base}/root"`,
      `state = "${c.base}/state"`,
      `disabled_plugins = ${JSON.stringify(disabled)}`,
      '[grpc]', `  address = "${c.socket}"`,
      '[ttrpc]', `  address = "${c.socket}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]', `  path = "${c.base}/opt"`,
      ...(cri?.config(c) ?? []),
    ].join('\n') + '\n'
    writeFileSync(join(c.base, 'config.toml'), config)
    mkdirSync(join(c.base, 'fifo'))
    const log = join(c.base, 'containerd.log')
    const fd = openSync(log, 'a')
    try {
      c.daemon = spawnTracked('containerd', ['--config', join(c.base, 'config.toml')], { stdio: ['ignore', fd, fd], cwd: c.base })
    } finally {
      closeSync(fd)
    }
    const up = await until(async () => existsSync(c.socket) && (await c.ctr(['version'])).code === 0, 15_000, 50)
    if (up === undefined) {
      await c.stop()
      throw new Error(`containerd did not come up: ${readFileSync(log, 'utf8').slice(-2000)}`)
    }
    for (const tar of typeof image === 'string' ? [image] : image) mustSucceed(await c.ctr(['images', 'import', tar], { timeoutMs: 60_000 }))
    return c
  }

  /** Remember a shim's id (a container's, or a pod sandbox's under CRI), so that stop() can remove its socket. */
  track (id: string): void {
    this.ids.add(id)
  }

  /** `ctr --address SOCK --namespace NS ...args`. */
  async ctr (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await runCmd(this.base, 'ctr', ['--address', this.socket, '--namespace', this.namespace, ...args], options)
  }

  /** The cgroup a container gets: under the test-owned parent. */
  cgroupOf (id: string): string {
    return `${this.cgroupParent}/${id}`
  }

  /**
   * `ctr run` with the runtime under test and a cgroup under the test-owned
   * parent. While ocirt does not manage cgroups, asks ctr not to send its
   * default cpu shares (see needsCgroups), unless the caller sets them.
   */
  async run (id: string, flags: string[], argv: string[], options: CmdOptions = {}): Promise<CmdResult> {
    this.ids.add(id)
    const compat = needsCgroups() !== false && !flags.some(f => f.startsWith('--cpu-shares')) ? ['--cpu-shares', '0'] : []
    return await this.ctr(['run', '--runc-binary', CLIENT_RUNTIME, '--runc-root', this.runcRoot, '--fifo-dir', join(this.base, 'fifo'),
      '--cgroup', this.cgroupOf(id), ...compat, ...flags, IMAGE, id, ...argv], options)
  }

  /** `ctr run -d` whose output goes to a file; returns that file's path. */
  async runDetached (id: string, flags: string[], argv: string[]): Promise<string> {
    const log = join(this.base, `${id}.log`)
    mustSucceed(await this.run(id, ['-d', '--log-uri', `file://${log}`, ...flags], argv))
    return log
  }

  /** `ctr task exec --exec-id EXEC [flags] ID argv...`, its fifos in the private dir. */
  async exec (id: string, execId: string, flags: string[], argv: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await this.ctr(['task', 'exec', '--fifo-dir', join(this.base, 'fifo'), '--exec-id', execId, ...flags, id, ...argv], options)
  }

  /** The task's status as `ctr task ls` shows it (RUNNING, PAUSED, STOPPED...), or undefined. */
  async taskStatus (id: string): Promise<string | undefined> {
    const r = mustSucceed(await this.ctr(['task', 'ls']))
    const line = r.stdout.split('\n').find(l => l.split(/\s+/)[0] === id)
    return line?.trim().split(/\s+/)[2]
  }

  /** Delete the task (forcefully) and the container; what is left of it on the host, for an assertion. */
  async remove (id: string): Promise<{ processes: number[], mounts: string[], runtimeState: boolean }> {
    await this.ctr(['task', 'delete', '--force', id])
    await this.ctr(['container', 'delete', id])
    const cgroup = this.cgroupOf(id)
    await until(() => processesUnder(cgroup).length === 0, 5000)
    return {
      processes: processesUnder(cgroup),
      mounts: mountsUnder(join(this.base, 'state', 'io.containerd.runtime.v2.task', this.namespace, id)),
      runtimeState: existsSync(join(this.runcRoot, this.namespace, id)),
    }
  }

  /** Tear everything down. Safe to call twice. */
  async stop (): Promise<string[]> {
    if (this.stopped) return []
    const problems: string[] = []
    if (this.daemon?.exitCode === null) {
      const tasks = await this.ctr(['task', 'ls', '-q']).catch(() => undefined)
      for (const id of tasks?.stdout.split('\n').filter(Boolean) ?? []) {
        problems.push(`task ${id} was still there`)
        await this.ctr(['task', 'delete', '--force', id]).catch(() => undefined)
      }
      const containers = await this.ctr(['container', 'ls', '-q']).catch(() => undefined)
      for (const id of containers?.stdout.split('\n').filter(Boolean) ?? []) await this.ctr(['container', 'delete', id]).catch(() => undefined)
      this.daemon.kill('SIGTERM')
      await until(() => this.daemon?.exitCode !== null || this.daemon?.signalCode !== null, 10_000)
    }
    this.stopSync(problems)
    await sleep(0)
    return problems
  }

  /** The synchronous part of stop(), also the last resort at exit. */
  private stopSync (problems: string[] = []): void {
    if (this.stopped) return
    this.stopped = true
    if (this.daemon !== undefined && this.daemon.exitCode === null && this.daemon.signalCode === null) this.daemon.kill('SIGKILL')
    // Shims outlive containerd by design; then the container processes.
    forceCleanup(this.base, this.cgroupParent, { name: 'shim', pids: processesOf('containerd-shim-runc-v2', this.socket) }, problems)
    // A shim that was killed leaves its socket: /run/containerd/s/<sha256 of "ADDRESS/NS/ID">.
    for (const id of this.ids) {
      const name = createHash('sha256').update(join(this.socket, this.namespace, id)).digest('hex')
      rmSync(join(RUN_CONTAINERD, 's', name), { force: true })
    }
    if (this.createdRunContainerd) {
      for (const d of ['s', 'fifo', 'runc', '']) {
        try { rmdirSync(join(RUN_CONTAINERD, d)) } catch {}
      }
    }
  }
}
