/**
 * The executable's chunks, as scripts/build-js.mjs splits them: bundles
 * src/main.ts with bun's --splitting (and the same minify options) into a
 * temporary directory and follows a chunk's static imports. A command's
 * import() of its module is not followed: that chunk loads only when the
 * command runs. No root, no built binary.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REPO = join(import.meta.dirname, '..', '..')

export const bunPath = ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline']
  .map(p => join(REPO, 'node_modules', p, 'bin', 'bun')).find(p => existsSync(p))

export interface Chunks {
  dir: string
  /** Every chunk's file name. */
  names: string[]
  /** The chunk of a command's module (src/commands/NAME.ts), or undefined. */
  commandChunk: (name: string) => string | undefined
  /** Each chunk `entry` loads before it runs (itself included), with the builtin modules (node:*) it imports. */
  closure: (entry: string) => Map<string, string[]>
  /** The bytes of JavaScript in closure(entry). */
  closureBytes: (entry: string) => number
  /** The bytes of one chunk. */
  chunkBytes: (chunk: string) => number
  remove: () => void
}

export function bundleChunks (): Chunks {
  if (bunPath === undefined) throw new Error('bun not found in node_modules: run npm ci')
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-chunks-'))
  try {
    execFileSync(bunPath, ['build', '--splitting', '--format=esm', '--target=bun', '--minify-syntax', '--minify-whitespace', '--outdir', dir, join(REPO, 'src/main.ts')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: '' }, stdio: ['ignore', 'ignore', 'inherit'],
    })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  const names = readdirSync(dir)
  const imports = (chunk: string): string[] =>
    // Static imports only (`from "x"`, `import "x"`); import("x") is loaded only when it runs.
    [...readFileSync(join(dir, chunk), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*["']([^"']+)["']/g)].map(m => m[1]!)
  const closure = (entry: string): Map<string, string[]> => {
    const seen = new Map<string, string[]>()
    const walk = (chunk: string): void => {
      if (seen.has(chunk)) return
      const specifiers = imports(chunk)
      seen.set(chunk, specifiers.filter(s => !s.startsWith('./')))
      for (const s of specifiers) if (s.startsWith('./')) walk(s.slice(2))
    }
    walk(entry)
    return seen
  }
  const chunkBytes = (chunk: string): number => statSync(join(dir, chunk)).size
  return {
    dir,
    names,
    commandChunk: name => names.find(c => c.startsWith(`${name}-`)),
    closure,
    closureBytes: entry => [...closure(entry).keys()].reduce((sum, chunk) => sum + chunkBytes(chunk), 0),
    chunkBytes,
    remove: () => { rmSync(dir, { recursive: true, force: true }) },
  }
}
