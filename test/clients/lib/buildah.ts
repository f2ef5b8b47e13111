/**
 * A private buildah for one test file: its own --root, --runroot, TMPDIR and
 * configuration (containers.conf, storage.conf, registries.conf, policy.json)
 * under a temp dir, the busybox image pulled from the OCI layout tar, and
 * every RUN step through the runtime under test (`--isolation oci --runtime`)
 * under a test-owned cgroup parent.
 *
 * stop() tears everything down even after a failure: working containers,
 * containers the runtime still keeps in its default root (buildah passes no
 * --root), buildah processes, the processes of the cgroup parent, mounts
 * under the temp dir, the cgroups, the temp dir, and /var/lib/containers
 * (the blob-info cache, written whatever --root says) if it was not there
 * before.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { atExit } from '../../../conformance/lib/exit.js'
import { ensureSubreaper } from '../../../conformance/lib/reaper.js'
import {
  CLIENT_RUNTIME, type CmdOptions, type CmdResult, SYSTEM_IMAGE_CACHE, cleanupContainersClient, clientTempDir, containersConfigEnv, mustSucceed,
  newCgroupParent, processesOf, runCmd, until,
} from './common.js'

export const IMAGE = 'localhost/ocirt-busybox:latest'

export class Buildah {
  readonly cgroupParent = newCgroupParent('buildah')
  readonly env: NodeJS.ProcessEnv
  private readonly globals: string[]
  private readonly createdImageCache = !existsSync(SYSTEM_IMAGE_CACHE)
  private stopped = false

  private constructor (readonly base: string) {
    mkdirSync(join(base, 'tmp'))
    // cgroupfs and file events: no systemd, no journald here.
    this.env = {
      ...containersConfigEnv(base, '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'),
      // buildah stages layers and RUN bundles in TMPDIR (default /var/tmp).
      TMPDIR: join(base, 'tmp'),
    }
    this.globals = ['--root', join(base, 'root'), '--runroot', join(base, 'runroot'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs']
  }

  /** A private buildah with the image pulled from the OCI layout tar. */
  static async start (ociTar: string): Promise<Buildah> {
    ensureSubreaper()
    const b = new Buildah(clientTempDir('buildah'))
    atExit('containers', () => { b.stopSync() })
    const pulled = await b.buildah(['pull', `oci-archive:${ociTar}`], { timeoutMs: 60_000 })
    if (pulled.code !== 0) {
      await b.stop()
      mustSucceed(pulled)
    }
    return b
  }

  /** `buildah <private globals> ...args`. */
  async buildah (args: string[], options: CmdOptions = {}): Promise<CmdResult> {
    return await runCmd(this.base, 'buildah', [...this.globals, ...args], { env: this.env, ...options })
  }

  /** The flags that make a RUN (bud) or `buildah run` go through the runtime under test, without network. */
  readonly runFlags = ['--isolation', 'oci', '--runtime', CLIENT_RUNTIME, '--network', 'none']

  /** `buildah bud` of a context dir (with its Containerfile), tagged TAG. */
  async bud (context: string, tag: string, options: CmdOptions = {}): Promise<CmdResult> {
    return await this.buildah(['bud', ...this.runFlags, '--cgroup-parent', this.cgroupParent, '--pull=never', '--tag', tag, context], { timeoutMs: 120_000, ...options })
  }

  /** A working container from IMAGE (`buildah from`, whose settings `buildah run` keeps); its name. */
  async from (image: string): Promise<string> {
    return mustSucceed(await this.buildah(['from', '--pull=never', '--cgroup-parent', this.cgroupParent, image])).stdout.trim()
  }

  /** Tear everything down. Safe to call twice. Returns what had to be cleaned up by force. */
  async stop (): Promise<string[]> {
    if (this.stopped) return []
    const problems: string[] = []
    const ps = await this.buildah(['containers', '--quiet']).catch(() => undefined)
    const left = ps?.stdout.split('\n').filter(Boolean) ?? []
    if (left.length > 0) {
      problems.push(`working containers were still there: ${left.join(' ')}`)
      await this.buildah(['rm', '--all']).catch(() => undefined)
    }
    await until(() => processesOf('buildah', this.base).length === 0, 10_000)
    this.stopSync(problems)
    return problems
  }

  private stopSync (problems: string[] = []): void {
    if (this.stopped) return
    this.stopped = true
    cleanupContainersClient(this.base, this.cgroupParent, 'buildah', this.createdImageCache, problems)
  }
}
