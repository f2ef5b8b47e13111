/**
 * Real OCI bundles for the conformance suite.
 *
 * A bundle is a fresh temp dir holding `config.json` and a busybox-static
 * `rootfs/`. busybox is copied once per process into a cache dir and then
 * hardlinked into every rootfs (copied if the link fails, e.g. EXDEV), so a
 * bundle costs a handful of syscalls.
 *
 * The config template is what `runc spec` prints (runc 1.1.5), except
 * `process.terminal` is false and `ociVersion` is the version this suite
 * targets. Tests change it with a `(spec) => void` callback.
 */
import { copyFileSync, chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { atExit } from './exit.js'
import { randomBytes } from 'node:crypto'
import { TEST_CGROUP_PARENT } from './cgroups.js'

/** The busybox binary the rootfs is built from. */
export const BUSYBOX = process.env.CONFORMANCE_BUSYBOX ?? '/bin/busybox'

/**
 * config.json's ociVersion: the runtime-spec version the suite targets.
 * CONFORMANCE_OCI_VERSION overrides it for runtimes that predate 1.3.0 and
 * refuse newer configs (crun 1.8.1: "unknown version specified").
 */
export const SPEC_VERSION = process.env.CONFORMANCE_OCI_VERSION ?? '1.3.0'

/** A uid/gid that exists in the rootfs's /etc/passwd as `nobody`. */
export const NOBODY = 65534

/** Applets linked into rootfs/bin (those busybox does not provide are skipped). */
const APPLETS = [
  'sh', 'ash', 'cat', 'echo', 'printf', 'id', 'ls', 'sleep', 'touch', 'mkdir', 'rm', 'rmdir', 'test', '[',
  'readlink', 'realpath', 'hostname', 'env', 'pwd', 'true', 'false', 'kill', 'ps', 'wc', 'grep', 'head',
  'tail', 'cut', 'sed', 'awk', 'stat', 'mount', 'umount', 'whoami', 'date', 'ln', 'cp', 'mv', 'chmod',
  'sync', 'tr', 'expr', 'seq', 'dd', 'uname', 'basename', 'dirname', 'tee', 'xargs', 'find', 'nproc',
  'umask', 'ulimit'
]

/** Loosely typed OCI runtime config (config.json). Only what the suite touches is spelled out. */
export interface OciMount {
  destination: string
  type?: string
  source?: string
  options?: string[]
  /** Id-mapped mounts (config.md "POSIX-platform Mounts"). */
  uidMappings?: Array<{ containerID: number, hostID: number, size: number }>
  gidMappings?: Array<{ containerID: number, hostID: number, size: number }>
}
export interface OciRlimit { type: string, soft: number, hard: number }
export interface OciProcess {
  terminal?: boolean
  user: { uid: number, gid: number, umask?: number, additionalGids?: number[] }
  args?: string[]
  env?: string[]
  cwd: string
  capabilities?: Record<string, string[]>
  rlimits?: OciRlimit[]
  noNewPrivileges?: boolean
  oomScoreAdj?: number
  [key: string]: unknown
}
export interface OciLinux {
  namespaces?: Array<{ type: string, path?: string }>
  resources?: Record<string, unknown>
  cgroupsPath?: string
  maskedPaths?: string[]
  readonlyPaths?: string[]
  [key: string]: unknown
}
export interface OciSpec {
  ociVersion: string
  process?: OciProcess
  root?: { path: string, readonly?: boolean }
  hostname?: string
  mounts?: OciMount[]
  annotations?: Record<string, string>
  linux?: OciLinux
  [key: string]: unknown
}

/** The `runc spec` template with `terminal: false`. A fresh deep copy every call. */
export function templateSpec (): OciSpec {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      // Never the runtime's default (relative to the caller's cgroup: on this
      // host a cgroup of the machine's supervisor): one under a parent the tests own.
      cgroupsPath: `${TEST_CGROUP_PARENT}/bundle-${randomBytes(5).toString('hex')}`
    }
  }
}

export interface BundleOptions {
  /**
   * Bind-mount a fresh host dir (`bundle.shared`, mode 0777) read-write at
   * `/shared` in the container: the container writes markers there and the
   * test reads them from the host.
   */
  shared?: boolean
  /** Write this text as config.json instead of JSON.stringify(spec) (for malformed configs). */
  rawConfig?: string | undefined
  /** Do not write config.json at all. */
  noConfig?: boolean
}

export interface Bundle {
  /** Absolute path of the bundle dir (what `--bundle` gets). */
  dir: string
  /** Absolute path of the rootfs. */
  rootfs: string
  /** Absolute path of config.json. */
  configPath: string
  /** Host side of the `/shared` bind mount (only meaningful with `{ shared: true }`). */
  shared: string
  /** The spec as written to config.json. */
  spec: OciSpec
  /** Re-read config.json. */
  readConfig: () => OciSpec
  /** Overwrite config.json. */
  writeConfig: (spec: OciSpec) => void
  /** Remove the bundle dir. Idempotent. */
  cleanup: () => void
}

let cacheDir: string | undefined
const liveBundles = new Set<string>()

function cachedBusybox (): string {
  if (cacheDir === undefined) {
    cacheDir = mkdtempSync(join(tmpdir(), 'ocirt-conformance-cache-'))
    copyFileSync(BUSYBOX, join(cacheDir, 'busybox'))
    chmodSync(join(cacheDir, 'busybox'), 0o755)
    const available = new Set(execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean))
    writeFileSync(join(cacheDir, 'applets'), APPLETS.filter(a => available.has(a)).join('\n'))
  }
  return join(cacheDir, 'busybox')
}

function cachedApplets (): string[] {
  cachedBusybox()
  return readFileSync(join(cacheDir as string, 'applets'), 'utf8').split('\n').filter(Boolean)
}

atExit('files', () => {
  // Safety net: whatever a test forgot to clean up.
  for (const dir of liveBundles) rmSync(dir, { recursive: true, force: true })
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true })
})

function buildRootfs (rootfs: string): void {
  mkdirSync(join(rootfs, 'bin'), { recursive: true })
  const bb = cachedBusybox()
  const dst = join(rootfs, 'bin', 'busybox')
  try { linkSync(bb, dst) } catch { copyFileSync(bb, dst); chmodSync(dst, 0o755) }
  for (const applet of cachedApplets()) symlinkSync('busybox', join(rootfs, 'bin', applet))
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'shared']) mkdirSync(join(rootfs, d))
  chmodSync(join(rootfs, 'tmp'), 0o1777)
  writeFileSync(join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n')
}

/**
 * Build a bundle in a fresh temp dir. `configure` edits the template spec in
 * place before config.json is written.
 */
export function makeBundle (configure?: (spec: OciSpec) => void, options: BundleOptions = {}): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-conformance-bundle-'))
  liveBundles.add(dir)
  const rootfs = join(dir, 'rootfs')
  const configPath = join(dir, 'config.json')
  const shared = join(dir, 'shared')
  buildRootfs(rootfs)
  const spec = templateSpec()
  if (options.shared === true) {
    mkdirSync(shared)
    chmodSync(shared, 0o777)
    spec.mounts?.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] })
  }
  configure?.(spec)
  if (options.rawConfig !== undefined) writeFileSync(configPath, options.rawConfig)
  else if (options.noConfig !== true) writeFileSync(configPath, JSON.stringify(spec, null, 2))
  return {
    dir,
    rootfs,
    configPath,
    shared,
    spec,
    readConfig: () => JSON.parse(readFileSync(configPath, 'utf8')) as OciSpec,
    writeConfig: (s: OciSpec) => writeFileSync(configPath, JSON.stringify(s, null, 2)),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true })
      liveBundles.delete(dir)
    }
  }
}

/** Read a file the container wrote under /shared; undefined if it does not exist (yet). */
export function readShared (bundle: Bundle, name: string): string | undefined {
  const p = join(bundle.shared, name)
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined
}
