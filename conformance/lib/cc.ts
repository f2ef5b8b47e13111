/**
 * The small C programs beside this file (a seccomp agent, a console socket
 * receiver), each compiled once per test process with the host's cc into a
 * temp dir that goes when the process exits.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const built = new Map<string, string>()

/** The path of the compiled `name` (conformance/lib/<name>.c). */
export function compileHelper (name: string): string {
  const done = built.get(name)
  if (done !== undefined) return done
  const dir = mkdtempSync(join(tmpdir(), `${name}-`))
  process.on('exit', () => { rmSync(dir, { recursive: true, force: true }) })
  const out = join(dir, name)
  execFileSync('cc', ['-O2', '-Wall', '-o', out, join(dirname(fileURLToPath(import.meta.url)), `${name}.c`)], { stdio: 'inherit' })
  built.set(name, out)
  return out
}
