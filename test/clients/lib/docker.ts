/**
 * A private Docker (dockerd 20.10 and the containerd it starts and manages)
 * for one test file: its own --data-root, --exec-root, socket, pidfile and
 * daemon.json under a temp dir, the runtime under test as the default
 * runtime (`--add-runtime`), every container under a test-owned
 * --cgroup-parent, the busybox image loaded from a docker-archive.
 *
 * What dockerd needs on this host: the cgroupfs driver (no systemd), vfs
 * storage (no storage mounts to leak), no iptables and no bridge (no network
 * setup on the host), and its trust key in the temp dir (daemon.json
 * "deprecated-key-path"), else it writes /etc/docker/key.json.
 *
 * stop() tears everything down even after a failure: containers (docker rm
 * -f), dockerd, its containerd and shims, the processes of the cgroup
 * parent, mounts under the temp dir, the cgroups, the temp dir, the shim
 * sockets in /run/containerd/s, and the dirs dockerd always makes
 * (/run/docker/plugins, /run/containerd) if they were not there before.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { type ChildProcess, spawnSync } from 'node:child_process'
import type { Test } from 'tap'
import { join } from 'node:path'
import { atExit } from '../../../conformance/lib/exit.js'
import { ensureSubreaper, spawnTracked } from '../../../conformance/lib/reaper.js'
import {
  CLIENT_RUNTIME, type CmdOptions, type CmdResult, clientAvailable, clientImage, clientTempDir, forceCleanup, mountsUnder, mustSucceed,
  newCgroupParent, processesOf, processesUnder, runCmd, runtimeVersion, sleep, terminateDaemon, unmountUnder, until,
} from './common.js'

export const IMAGE = 'localhost/ocirt-busybox:latest'
/** The Debian docker.io client (20.10); another `docker` may come first on PATH. */
export const DOCKER_CLI = '/usr/bin/docker'
/** The name dockerd gives the runtime under test (`runc` is reserved for its built-in one). */
const RUNTIME_NAME = 'testrt'
/** Dirs dockerd makes whatever --exec-root says (plugin discovery), and the shim's socket dir. */
const FIXED_DIRS = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd']

/** The docker-archive scripts/make-client-image.sh writes beside the OCI layout tar. */
export function dockerArchive (ociTar: string): string {
  return ociTar.replace(/\.tar$/, '.docker-archive.tar')
}

/** Why the Docker lanes cannot run on this host, or false. */
export function dockerUnavailable (): string | false {
  return clientAvailable('dockerd') || clientAvailable(DOCKER_CLI) || clientAvailable('containerd')
}

/**
 * The start every Docker test file shares: a private Docker started before
 * its tests and stopped after them (`docker()` reaches it), and fresh
 * container names.
 */
export function dockerForTests (t: Test, options: DockerOptions = {}): { docker: () => Docker, newName: (what: string) => string } {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()})`)
  // Each docker command costs ~0.5 s here, several seconds on a loaded
  // machine: more than tap's 120 s per file. A file killed at its timeout
  // leaves dockerd and its containers behind (the last-resort cleanup is
  // cut short), so the Docker files get room.
  t.setTimeout(300_000)
  let started: Docker | undefined
  let seq = 0
  t.before(async () => { started = await Docker.start(clientImage(), options) })
  t.teardown(async () => { await started?.stop() })
  return {
    docker: () => {
      if (started === undefined) throw new Error('dockerd did not start')
      return started
    },
    newName: what => `${what}-${++seq}`,
  }
}

export interface DockerOptions {
  /**
   * dockerd --userns-remap=default: dockerd creates the user "dockremap"
   * and gives it subordinate id ranges in /etc/subuid and /etc/subgid; stop()
   * deletes the user and the ranges it added, if they were not there before.
   */
  usernsRemap?: boolean
}

/** The user dockerd --userns-remap=default creates, and the files it changes for it. */
const REMAP_USER = 'dockremap'
const SUBORDINATE_ID_FILES = ['/etc/subuid', '/etc/subgid']

export class Docker {
  readonly socket: string
  readonly cgroupParent = newCgroupParent('docker')
  readonly env: NodeJS.ProcessEnv
  private daemon: ChildProcess | undefined
  private readonly createdDirs = FIXED_DIRS.filter(d => !existsSync(d))
  /** With usernsRemap, before dockerd ran: the subordinate id files' contents, and whether dockremap existed. */
  private remapSaved: { files: Map<string, string>, userExisted: boolean } | undefined
  private stopped = false

  private constructor (readonly base: string) {
    this.socket = join(base, 'docker.sock')
    mkdirSync(join(base, 'client'))
    // The client's own config dir: nothing of ~/.docker is read or written.
    this.env = { ...process.env, DOCKER_CONFIG: join(base, 'client') }
  }

  /** dockerd up, and the image loaded. */
  static async start (ociTar: string, options: DockerOptions = {}): Promise<Docker> {
    ensureSubreaper()
    const d = new Docker(clientTempDir('docker'))
    atExit('containers', () => { d.stopSync() })
    writeFileSync(join(d.base, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(d.base, 'key.json') }))
    if (options.usernsRemap === true) {
      d.remapSaved = {
        files: new Map(SUBORDINATE_ID_FILES.map(f => [f, existsSync(f) ? readFileSync(f, 'utf8') : ''])),
        userExisted: spawnSync('getent', ['passwd', REMAP_USER]).status === 0,
      }
      // The remapped root (an unprivileged host uid) must reach the container's rootfs under the data root.
      chmodSync(d.base, 0o711)
    }
    const log = join(d.base, 'dockerd.log')
    const fd = openSync(log, 'a')
    try {
      d.daemon = spawnTracked('dockerd', [
        '--config-file', join(d.base, 'daemon.json'),
        '--data-root', join(d.base, 'data'), '--exec-root', join(d.base, 'exec'),
        '-H', `unix://${d.socket}`, '--pidfile', join(d.base, 'docker.pid'),
        '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
        '--exec-opt', 'native.cgroupdriver=cgroupfs', `--cgroup-parent=${d.cgroupParent}`,
        '--add-runtime', `${RUNTIME_NAME}=${CLIENT_RUNTIME}`, `--default-runtime=${RUNTIME_NAME}`,
        ...(options.usernsRemap === true ? ['--userns-remap=default'] : []),
      ], { stdio: ['ignore', fd, fd], cwd: d.base })
    } finally {
      closeSync(fd)
    }
    const up = await until(async () => existsSync(d.socket) && (await d.docker(['version'])).code === 0, 30_000, 100)
    if (up === undefined) {
      await d.stop()
      throw new Error(`dockerd did not come up: ${readFileSync(log, 'utf8').slice(-2000)}`)
    }
    const loaded = await d.docker(['load', '--input', dockerArchive(ociTar)], { timeoutMs: 60_000 })
    if (loaded.code !== 0) {
      await d.stop()
      mustSucceed(loaded)
    }
    return d
  }

  /** `docker -H unix://SOCK ...args`. */
  async docker (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await runCmd(this.base, DOCKER_CLI, ['-H', `unix://${this.socket}`, ...args], { env: this.env, ...options })
  }

  /** `docker run --name NAME [flags] IMAGE argv...`. */
  async run (name: string, flags: string[], argv: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await this.docker(['run', '--name', name, ...flags, IMAGE, ...argv], options)
  }

  /** `docker inspect --format TEMPLATE NAME`, trimmed. */
  async inspect (name: string, template: string): Promise<string> {
    return mustSucceed(await this.docker(['inspect', '--format', template, name])).stdout.trim()
  }

  /** The container's cgroup path: the parent, then its full id. */
  async cgroupOf (name: string): Promise<string> {
    return `${this.cgroupParent}/${await this.inspect(name, '{{.Id}}')}`
  }

  /** The runtime's --root as dockerd 20.10 passes it, whatever the runtime's name: EXEC_ROOT/runtime-runc/moby (the containerd namespace). */
  get runtimeRoot (): string {
    return join(this.base, 'exec', 'runtime-runc', 'moby')
  }

  /** Wait until `docker logs NAME` contains `text`. */
  async logsSay (name: string, text: string): Promise<boolean> {
    return (await until(async () => (await this.docker(['logs', name])).stdout.includes(text), 10_000, 100)) === true
  }

  /** `docker run -d` of a program that keeps running; throws unless it starts (and then removes what docker created). */
  async runDetached (name: string, flags: string[], argv: string[]): Promise<void> {
    const r = await this.run(name, ['--detach', ...flags], argv)
    if (r.code !== 0) await this.docker(['rm', '--force', name])
    mustSucceed(r)
  }

  /** A file of the container's cgroup in one v1 hierarchy, trimmed. */
  async cgroupFile (name: string, controller: string, file: string): Promise<string> {
    return readFileSync(`/sys/fs/cgroup/${controller}${await this.cgroupOf(name)}/${file}`, 'utf8').trim()
  }

  /** Remove the container and assert that nothing of it is left on the host. */
  async removeAndCheck (t: Test, name: string): Promise<void> {
    const left = await this.remove(name)
    t.same(left, { processes: [], mounts: [], runtimeState: false }, `nothing of ${name} is left: processes, mounts, runtime state`)
  }

  /** docker rm -f NAME; what is left of it on the host, for an assertion. */
  async remove (name: string): Promise<{ processes: number[], mounts: string[], runtimeState: boolean }> {
    const id = (await this.docker(['inspect', '--format', '{{.Id}}', name])).stdout.trim()
    await this.docker(['rm', '--force', name])
    if (id === '') return { processes: [], mounts: [], runtimeState: false }
    const cgroup = `${this.cgroupParent}/${id}`
    await until(() => processesUnder(cgroup).length === 0, 5000)
    return {
      processes: processesUnder(cgroup),
      mounts: mountsUnder(this.base).filter(l => l.includes(id)),
      runtimeState: existsSync(join(this.runtimeRoot, id)),
    }
  }

  /** Tear everything down. Safe to call twice. Returns what had to be cleaned up by force. */
  async stop (): Promise<string[]> {
    if (this.stopped) return []
    const problems: string[] = []
    if (this.daemon?.exitCode === null) {
      const ps = await this.docker(['ps', '--all', '--quiet']).catch(() => undefined)
      const left = ps?.stdout.split('\n').filter(Boolean) ?? []
      if (left.length > 0) {
        problems.push(`containers were still there: ${left.join(' ')}`)
        await this.docker(['rm', '--force', ...left]).catch(() => undefined)
      }
      // dockerd stops its containerd on SIGTERM.
      await terminateDaemon(this.daemon, 20_000)
      await until(() => processesOf('containerd', this.base).length === 0, 10_000)
      // dockerd keeps a bind mount of the host's network namespace (libnetwork's "default" sandbox) and leaves it at exit.
      unmountUnder(join(this.base, 'exec', 'netns', 'default'))
    }
    this.stopSync(problems)
    await sleep(0)
    return problems
  }

  /** The synchronous part of stop(), also the last resort at exit. */
  private stopSync (problems: string[] = []): void {
    if (this.stopped) return
    this.stopped = true
    if (this.daemon !== undefined && this.daemon.exitCode === null && this.daemon.signalCode === null) {
      problems.push('dockerd did not exit on SIGTERM')
      this.daemon.kill('SIGKILL')
    }
    const shims = processesOf('containerd-shim-runc-v2', this.base)
    // A shim that is killed leaves its socket: /run/containerd/s/<sha256 of "ADDRESS/NS/ID">, from its own arguments.
    const shimSockets = shims.map(pid => {
      let args: string[] = []
      try { args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') } catch {}
      const arg = (flag: string): string => args[args.indexOf(flag) + 1] ?? ''
      return join('/run/containerd/s', createHash('sha256').update(join(arg('-address'), arg('-namespace'), arg('-id'))).digest('hex'))
    })
    forceCleanup(this.base, this.cgroupParent, { name: 'containerd or shim', pids: [...processesOf('containerd', this.base), ...shims] }, problems)
    for (const s of shimSockets) rmSync(s, { force: true })
    for (const d of this.createdDirs) {
      try { rmdirSync(d) } catch {}
    }
    this.restoreRemapUser(problems)
  }

  /** Undo what --userns-remap=default did to the host's users: the user, its group, its subordinate id ranges. */
  private restoreRemapUser (problems: string[]): void {
    if (this.remapSaved === undefined) return
    if (!this.remapSaved.userExisted) spawnSync('userdel', [REMAP_USER], { stdio: 'ignore' })
    for (const [file, before] of this.remapSaved.files) {
      if (!existsSync(file)) continue
      const had = new Set(before.split('\n'))
      const now = readFileSync(file, 'utf8')
      // Only the lines dockerd added for dockremap: another user's ranges added meanwhile stay.
      const restored = now.split('\n').filter(l => had.has(l) || !l.startsWith(`${REMAP_USER}:`)).join('\n')
      if (restored !== now) writeFileSync(file, restored)
    }
    if (!this.remapSaved.userExisted && spawnSync('getent', ['passwd', REMAP_USER]).status === 0) problems.push(`user ${REMAP_USER} could not be deleted`)
  }
}
