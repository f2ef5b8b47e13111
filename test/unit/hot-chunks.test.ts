// The hot commands load no node:* module (issue 11, docs/performance.md "The
// hot commands without node:fs"): the first use of bun's node:fs costs a
// compiled executable 2.6 M instructions, node:path 0.77 M, node:url 1.1 M,
// more than all of a command's own work. Bundles src/main.ts as
// scripts/build-js.mjs does for the executable (--splitting) and follows each
// hot command's chunk through its static imports. No root, no built binary.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REPO = join(import.meta.dirname, '..', '..')
const bun = ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline'].map(p => join(REPO, 'node_modules', p, 'bin', 'bun')).find(p => existsSync(p))
const out = mkdtempSync(join(tmpdir(), 'ocirt-chunks-'))
t.teardown(() => { rmSync(out, { recursive: true, force: true }) })

/**
 * The commands whose whole run must stay off node:*, and the entry chunk (--version, help, argv).
 * create, run and exec too: node:fs and node:path cost create a third of its start-up
 * (docs/performance.md "create, run and exec without node:fs"). run and exec load
 * the terminal proxy (node:fs's streams) with import() only when they copy a terminal.
 */
const HOT = ['state', 'kill', 'start', 'delete', 'list', 'create', 'run', 'exec']

t.test('no chunk that --version or a hot command loads imports a node:* module', async t => {
  if (bun === undefined) return t.fail('bun not found in node_modules: run npm ci')
  execFileSync(bun, ['build', '--splitting', '--format=esm', '--target=bun', '--outdir', out, join(REPO, 'src/main.ts')], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: '' }, stdio: ['ignore', 'ignore', 'inherit'],
  })
  const chunks = readdirSync(out)
  const imports = (chunk: string): string[] =>
    // Static imports only (`from "x"`, `import "x"`); a command's import() is loaded only when it runs.
    [...readFileSync(join(out, chunk), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*["']([^"']+)["']/g)].map(m => m[1]!)
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
  const entries: Array<[string, string | undefined]> = [['--version (the entry chunk)', 'main.js'],
    ...HOT.map((name): [string, string | undefined] => [name, chunks.find(c => c.startsWith(`${name}-`))])]
  for (const [what, entry] of entries) {
    if (entry === undefined) {
      t.fail(`no chunk for ${what} in ${chunks.join(', ')}`)
      continue
    }
    const builtins = [...closure(entry)].flatMap(([chunk, specifiers]) => specifiers.map(s => `${chunk} imports ${s}`))
    t.same(builtins, [], `${what}: ${closure(entry).size} chunks, none importing a builtin module`)
  }
})
