/**
 * An unprivileged user for the rootless engine lane: made with useradd (which
 * grants it /etc/subuid and /etc/subgid ranges), with its own
 * XDG_RUNTIME_DIR and private podman/buildah configuration and storage (vfs,
 * cgroupfs, file events, no network), and the runtime under test as
 * --runtime. podman and buildah run as that user: they enter a user
 * namespace of their own through newuidmap/newgidmap and call the runtime
 * there, as euid 0, without --root.
 *
 * stop() undoes everything even after a failure (and at process exit):
 * containers, every process of the user (podman's pause process among
 * them), the user (userdel -r), /etc/subuid and /etc/subgid restored to
 * their exact bytes, the temp dir.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atExit } from '../../../conformance/lib/exit.js'
import { ensureSubreaper } from '../../../conformance/lib/reaper.js'
import { CLIENT_RUNTIME, type CmdOptions, type CmdResult, clientTempDir, runCmd, sleep } from './common.js'

export const IMAGE = 'localhost/ocirt-busybox:latest'
const GRANT_FILES = ['/etc/subuid', '/etc/subgid']

/** pids whose real uid is `uid`. */
export function processesOfUid (uid: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const line = readFileSync(`/proc/${name}/status`, 'utf8').split('\n').find(l => l.startsWith('Uid:'))
      if (line?.split(/\s+/)[1] === String(uid)) pids.push(Number(name))
    } catch {}
  }
  return pids
}

export class RootlessUser {
  readonly name = `ocirtrl${randomBytes(3).toString('hex')}`
  readonly home: string
  readonly xdg: string
  uid = -1
  gid = -1
  /** The exact bytes of /etc/subuid and /etc/subgid before useradd. */
  private readonly grantBackups = new Map<string, Buffer>()
  private created = false
  private stopped = false

  private constructor (readonly base: string) {
    this.home = join(base, 'home')
    this.xdg = join(base, 'xdg')
  }

  /** The user, its configuration, and the busybox image loaded into its storage. */
  static async start (image: string): Promise<RootlessUser> {
    ensureSubreaper()
    const u = new RootlessUser(clientTempDir('rootless'))
    atExit('containers', () => { u.stopSync() })
    try {
      u.create(image)
      const loaded = await u.podman(['load', '--input', join(u.base, 'image.tar')], { timeoutMs: 120_000 })
      if (loaded.code !== 0) throw new Error(`podman load as ${u.name} exited ${loaded.code}: ${loaded.stderr}`)
    } catch (e) {
      u.stopSync()
      throw e
    }
    return u
  }

  private create (image: string): void {
    chmodSync(this.base, 0o755)
    for (const file of GRANT_FILES) this.grantBackups.set(file, readFileSync(file))
    const add = spawnSync('useradd', ['--create-home', '--home-dir', this.home, '--shell', '/bin/sh', this.name], { encoding: 'utf8' })
    if (add.status !== 0) throw new Error(`useradd ${this.name}: ${add.stderr}`)
    this.created = true
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find(l => l.startsWith(`${this.name}:`))?.split(':') ?? []
    this.uid = Number(entry[2])
    this.gid = Number(entry[3])
    // useradd grants 65536 subordinate ids (login.defs SUB_UID_COUNT); without them rootless podman cannot run.
    for (const file of GRANT_FILES) {
      if (!readFileSync(file, 'utf8').split('\n').some(l => l.startsWith(`${this.name}:`))) throw new Error(`useradd granted ${this.name} no range in ${file}`)
    }
    const conf = join(this.home, '.config', 'containers')
    mkdirSync(conf, { recursive: true })
    writeFileSync(join(conf, 'containers.conf'), [
      '[containers]',
      'netns = "none"',
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(this.home, 'events.log')}"`,
    ].join('\n') + '\n')
    writeFileSync(join(conf, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${join(this.home, 'storage')}"\nrunroot = "${join(this.xdg, 'containers')}"\n`)
    writeFileSync(join(conf, 'registries.conf'), 'unqualified-search-registries = []\n')
    writeFileSync(join(conf, 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}\n')
    mkdirSync(this.xdg, { mode: 0o700 })
    copyFileSync(image, join(this.base, 'image.tar'))
    chmodSync(join(this.base, 'image.tar'), 0o644)
    spawnSync('chown', ['-R', `${this.uid}:${this.gid}`, this.home, this.xdg])
    chownSync(this.xdg, this.uid, this.gid)
  }

  /** `cmd args` as the user, with its environment only (a login's: HOME, USER, XDG_RUNTIME_DIR, PATH). */
  async as (cmd: string, args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    const env = [`HOME=${this.home}`, `USER=${this.name}`, `LOGNAME=${this.name}`, `XDG_RUNTIME_DIR=${this.xdg}`, 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']
    // cwd: the user's home (conmon writes files into the directory it starts in).
    return await runCmd(this.home, 'setpriv', [`--reuid=${this.uid}`, `--regid=${this.gid}`, '--init-groups', '--', 'env', '-i', ...env, cmd, ...args], options)
  }

  async podman (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await this.as('podman', ['--runtime', CLIENT_RUNTIME, ...args], options)
  }

  async buildah (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await this.as('buildah', [...args.slice(0, 1), '--runtime', CLIENT_RUNTIME, ...args.slice(1)], options)
  }

  /** Tear down; returns what had to be cleaned up by force (empty on a clean run). */
  async stop (): Promise<string[]> {
    if (this.stopped) return []
    const problems: string[] = []
    if (this.created) {
      const ps = await this.podman(['ps', '--all', '--quiet']).catch(() => undefined)
      const left = ps?.stdout.split('\n').filter(Boolean) ?? []
      if (left.length > 0) {
        problems.push(`containers were still there: ${left.join(' ')}`)
        await this.podman(['rm', '--all', '--force', '--time', '0']).catch(() => undefined)
      }
      // conmon runs `podman container cleanup` after its container exits; let it finish.
      for (let i = 0; i < 100 && processesOfUid(this.uid).some(p => this.isConmon(p)); i++) await sleep(100)
    }
    this.stopSync(problems)
    return problems
  }

  private isConmon (pid: number): boolean {
    try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'conmon' } catch { return false }
  }

  /** Kill the user's processes, remove the user, restore the grant files, remove the temp dir. Safe to call twice. */
  stopSync (problems: string[] = []): void {
    if (this.stopped) return
    this.stopped = true
    if (this.created) {
      // podman's pause process holds its user namespace for good: it and anything else of the user's must go.
      for (let round = 0; round < 50; round++) {
        const pids = processesOfUid(this.uid)
        if (pids.length === 0) break
        for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} }
        spawnSync('sleep', ['0.1'])
      }
      const userdel = spawnSync('userdel', ['--remove', this.name], { encoding: 'utf8' })
      if (userdel.status !== 0) problems.push(`userdel ${this.name}: ${userdel.stderr.trim()}`)
    }
    for (const [file, bytes] of this.grantBackups) {
      // Exactly as before, unless another user was added meanwhile: then only our lines go.
      const now = readFileSync(file)
      const withoutOurs = now.toString('utf8').split('\n').filter(l => !l.startsWith(`${this.name}:`)).join('\n')
      if (now.equals(bytes)) continue
      if (withoutOurs === bytes.toString('utf8')) writeFileSync(file, bytes)
      else {
        writeFileSync(file, withoutOurs)
        problems.push(`${file} changed meanwhile beyond ${this.name}'s lines: only those were removed`)
      }
    }
    rmSync(this.base, { recursive: true, force: true })
  }
}
