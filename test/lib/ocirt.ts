/**
 * Integration-test glue: the conformance harness (conformance/lib) pointed at
 * the dist/ocirt this checkout built, plus a few ocirt-specific helpers.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import type { TapLike } from '../../conformance/lib/harness.js'
import { bundleFor, FIXTURE_MOUNT_PREFIXES } from '../../conformance/lib/harness.js'
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
