/**
 * Running CRIU (criu(8), the command line, not its RPC) for checkpoint and
 * restore, and turning its failures into messages that say why.
 *
 * CRIU reports what went wrong only in its log, as lines with "Error (file:line):";
 * a failure names the log file and quotes those lines.
 */
import { spawnSync } from 'node:child_process'
import type { StdioOptions } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { ConfigError, OcirtError, UsageError } from '../errors.js'
import { MS_BIND } from '../linux/constants.js'
import type { InitPlan } from '../native.js'
import { MountOp } from '../generated/plan.js'
import type { Spec } from '../spec/types.js'

export interface CriuRun {
  /** Exit status; null if criu was killed. */
  status: number | null
  stdout: string
  stderr: string
}

/** criu's "Error (...)" lines in a log (or its stderr), at most `limit` of the last ones. */
export function criuErrors (text: string, limit = 8): string[] {
  const lines = text.split('\n').filter(l => /\bError \(/.test(l)).map(l => l.replace(/^\(\s*[\d.]+\)\s*/, '').trim())
  return lines.slice(-limit)
}

/**
 * Why criu cannot work here, when the errors show a cause we know, in words a
 * user can act on; undefined otherwise.
 */
export function knownCause (errors: string[]): string | undefined {
  const text = errors.join('\n')
  if (/Unexpected rt vDSO area bounds|Failed to fill self vdso symtable/.test(text)) {
    // Linux 6.13 (commit e93d2521b27f, "x86/vdso: Split virtual clock pages into
    // dedicated mapping") split [vvar] into [vvar] and [vvar_vclock]; CRIU before
    // checkpoint-restore/criu PR #2539 (merged after 3.17) rejects that layout in
    // its own process, before it looks at any container.
    return `this kernel (Linux ${release()}) maps the vDSO data as [vvar] + [vvar_vclock] (Linux 6.13 and later), ` +
      'which this CRIU does not understand ("vdso: Unexpected rt vDSO area bounds"): CRIU cannot checkpoint or restore anything here; ' +
      'a CRIU with vvar_vclock support (upstream checkpoint-restore/criu PR #2539) is needed'
  }
  if (/Could not initialize kernel features detection/.test(text)) {
    return `CRIU could not probe the features of this kernel (Linux ${release()})`
  }
  return undefined
}

function spawnCriu (criu: string, args: string[], stdio: StdioOptions, timeoutMs: number): CriuRun {
  const r = spawnSync(criu, args, { stdio, encoding: 'utf8', timeout: timeoutMs })
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new OcirtError(`criu not found at ${criu} (install the criu package, or name it with the global flag --criu PATH)`)
    if (code === 'ETIMEDOUT') throw new OcirtError(`criu ${args[0]} did not finish in ${timeoutMs / 1000} s and was killed`)
    throw new OcirtError(`cannot run ${criu}: ${r.error.message}`)
  }
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/**
 * `criu check`: the kernel and this criu can checkpoint and restore at all.
 * Run before checkpoint and restore touch anything, so that on a kernel
 * where CRIU cannot work they fail with the reason and change nothing.
 */
export function checkCriu (criu: string): void {
  const r = spawnCriu(criu, ['check'], ['ignore', 'pipe', 'pipe'], 30_000)
  if (r.status === 0) return
  const errors = criuErrors(r.stderr + '\n' + r.stdout)
  const cause = knownCause(errors)
  const detail = errors.length > 0 ? errors.join('; ') : (r.stderr.trim() || `exit status ${r.status ?? 'killed'}`)
  throw new OcirtError(cause !== undefined
    ? `checkpoint/restore is not possible: ${cause} (criu check: ${detail})`
    : `checkpoint/restore is not possible: "${criu} check" failed: ${detail}`)
}

/**
 * Runs `criu <action> ...args` (which logs to `logPath`) and throws an
 * OcirtError quoting the log's errors if it fails.
 */
export function runCriu (criu: string, args: string[], logPath: string, stdio: StdioOptions, what: string): void {
  const r = spawnCriu(criu, args, stdio, 120_000)
  if (r.status === 0) return
  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''
  const errors = criuErrors(`${log}\n${r.stderr}`)
  const cause = knownCause(errors)
  const detail = errors.length > 0 ? errors.join('; ') : (r.stderr.trim() || `exit status ${r.status ?? 'killed'}`)
  throw new OcirtError(`${what} failed${cause !== undefined ? `: ${cause}` : ''}: criu ${args[0]}: ${detail} (log: ${logPath})`)
}

/** A mount whose source is outside the container: CRIU can neither dump nor recreate it by itself. */
export interface ExternalMount {
  /** Where it is mounted in the container; also the key that ties the dump to the restore, as in runc. */
  mountpoint: string
  /** The host path bound there. */
  source: string
}

/**
 * The bind mounts the container's plan makes from host paths: config mounts
 * with "bind", the host's cgroup directories (cgroup v1 without a cgroup
 * namespace), the device nodes bound in a user namespace. CRIU must be told
 * about each (criu(8) --external mnt[]): at dump that it is external, at
 * restore which host path to bind there.
 */
export function externalMounts (plan: InitPlan): ExternalMount[] {
  const out: ExternalMount[] = []
  for (const step of plan.mountSteps) {
    const bound = (step.op === MountOp.Mount && ((step.flags ?? 0) & MS_BIND) !== 0) || step.op === MountOp.BindDevice
    if (bound && step.source !== undefined) out.push({ mountpoint: step.target, source: step.source })
  }
  return out
}

/** CRIU's key for a network namespace the container joined (runc's name, so images stay interchangeable). */
export const EXTERNAL_NET_KEY = 'extRootNetNS'

/**
 * What of a config CRIU can handle through its command line; throws a
 * ConfigError naming the field otherwise. Returns the path of a network
 * namespace the container joins, which CRIU treats as external.
 */
export function checkpointableConfig (spec: Spec): { netnsPath: string | undefined } {
  if (spec.process?.terminal === true) {
    // A restore would need a new pty whose master goes to --console-socket; criu's CLI cannot hand it out.
    throw new ConfigError('config.json', '/process/terminal', 'checkpoint/restore of a container with a terminal is not supported by ocirt')
  }
  let netnsPath: string | undefined
  for (const [i, ns] of (spec.linux?.namespaces ?? []).entries()) {
    if (ns.path === undefined || ns.path === '') continue
    if (ns.type === 'network') { netnsPath = ns.path; continue }
    // criu(8) takes only net (and pid) namespaces as external; the others it would dump as the container's own.
    throw new ConfigError('config.json', `/linux/namespaces/${i}/path`, `checkpoint/restore of a container that joins an existing ${ns.type} namespace is not supported (only a network namespace may be joined)`)
  }
  return { netnsPath }
}

/** --manage-cgroups-mode: criu's modes, checked here so a typo fails before anything runs. */
export function cgroupsMode (value: string | undefined): string {
  // runc's default: criu dumps the container's cgroups and restores into them, keeping existing ones.
  const mode = value === undefined || value === '' ? 'soft' : value
  if (!['soft', 'full', 'strict', 'ignore'].includes(mode)) throw new UsageError(`flag --manage-cgroups-mode takes soft, full, strict or ignore, not "${value}"`)
  return mode
}

/** --empty-ns: only the network namespace may be made empty (as runc). */
export function emptyNamespaces (values: string[]): string[] {
  return values.map(v => {
    if (v !== 'network') throw new UsageError(`flag --empty-ns takes "network", not "${v}"`)
    return '--empty-ns=net'
  })
}

/** The flags criu's dump and restore share, from ocirt's (runc's) flags. */
export interface CriuCommonOptions {
  tcpEstablished: boolean
  extUnixSk: boolean
  shellJob: boolean
  fileLocks: boolean
  manageCgroupsMode: string | undefined
  emptyNs: string[]
}

export function commonCriuArgs (o: CriuCommonOptions): string[] {
  return [
    `--manage-cgroups=${cgroupsMode(o.manageCgroupsMode)}`,
    ...emptyNamespaces(o.emptyNs),
    ...(o.tcpEstablished ? ['--tcp-established'] : []),
    ...(o.extUnixSk ? ['--ext-unix-sk'] : []),
    ...(o.shellJob ? ['--shell-job'] : []),
    ...(o.fileLocks ? ['--file-locks'] : []),
  ]
}

/** runc's name for the file in the image dir that records what the init's stdio were. */
export const DESCRIPTORS_FILE = 'descriptors.json'
