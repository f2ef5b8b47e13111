/**
 * Integration-test glue: the conformance harness (conformance/lib) pointed at
 * the dist/ocirt this checkout built, plus a few ocirt-specific helpers.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { chmodSync, rmdirSync } from 'node:fs'
import type { TapLike } from '../../conformance/lib/harness.js'
import { bundleFor, cgroupDirsFor, FIXTURE_MOUNT_PREFIXES, TEST_CGROUP_PARENT } from '../../conformance/lib/harness.js'
import type { Bundle, BundleOptions, OciSpec } from '../../conformance/lib/bundle.js'
import { Runtime } from '../../conformance/lib/runtime.js'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const OCIRT = join(REPO, 'dist', 'ocirt')

export interface OcirtFixture { rt: Runtime, bundle: Bundle, id: string }

/** An ocirt with a private --root and a bundle, both removed after the test, and a fresh id. */
export async function ocirt (t: TapLike, configure?: (spec: OciSpec) => void, options: BundleOptions = { shared: true }): Promise<OcirtFixture> {
  const rt = await Runtime.open(OCIRT)
  t.teardown(async () => { await rt.cleanup() })
  const bundle = bundleFor(t, configure, options)
  // mkdtemp makes 0700 dirs; the mapped root of a user namespace must reach the rootfs.
  chmodSync(bundle.dir, 0o755)
  return { rt, bundle, id: rt.newId('ocirt') }
}

/** Runs `sh -c script` in a fresh container with `ocirt run` and returns its stdout. */
export async function runShell (t: TapLike, script: string, configure?: (spec: OciSpec) => void): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sh', '-c', script]
    configure?.(spec)
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  return { code: r.code, stdout: r.stdout, stderr: r.stderr }
}

/** The host's mount table lines (without ids), to prove nothing was added. */
export function hostMounts (): string[] {
  return execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).split('\n')
    .filter(l => l !== '' && !FIXTURE_MOUNT_PREFIXES.some(p => (l.split(' ')[4] ?? '').startsWith(p)))
    .map(l => l.split(' ').slice(2).join(' '))
}

/**
 * A fresh id whose container gets its own cgroup under the tests' parent:
 * config.json's cgroupsPath is set to it, and the id and the cgroup are
 * removed at teardown even when the runtime left them (the harness knows
 * only the cgroup paths it read from create's config).
 */
export function idWithCgroup (t: TapLike, rt: Runtime, bundle: Bundle, prefix: string): { id: string, cgroupPath: string } {
  const id = rt.newId(prefix)
  const cgroupPath = `${TEST_CGROUP_PARENT}/${id}`
  t.teardown(() => { for (const dir of cgroupDirsFor(cgroupPath).reverse()) { try { rmdirSync(dir) } catch { /* busy: the test reports it */ } } })
  const spec = bundle.readConfig()
  spec.linux!.cgroupsPath = cgroupPath
  bundle.writeConfig(spec)
  rt.ids.add(id)
  return { id, cgroupPath }
}
