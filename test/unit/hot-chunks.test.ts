// The hot commands load no node:* module (issue 11, docs/performance.md "The
// hot commands without node:fs"): the first use of bun's node:fs costs a
// compiled executable 2.6 M instructions, node:path 0.77 M, node:url 1.1 M,
// more than all of a command's own work. Bundles src/main.ts as
// scripts/build-js.mjs does for the executable (--splitting) and follows each
// hot command's chunk through its static imports. No root, no built binary.
import t from 'tap'
import { bundleChunks } from '../lib/chunks.js'

/**
 * The commands whose whole run must stay off node:*, and the entry chunk (--version, help, argv).
 * create, run and exec too: node:fs and node:path cost create a third of its start-up
 * (docs/performance.md "create, run and exec without node:fs"). run and exec load
 * the terminal proxy (node:fs's streams) with import() only when they copy a terminal.
 */
const HOT = ['state', 'kill', 'start', 'delete', 'list', 'create', 'run', 'exec']

t.test('no chunk that --version or a hot command loads imports a node:* module', async t => {
  const chunks = bundleChunks()
  t.teardown(chunks.remove)
  const entries: Array<[string, string | undefined]> = [['--version (the entry chunk)', 'main.js'],
    ...HOT.map((name): [string, string | undefined] => [name, chunks.commandChunk(name)])]
  for (const [what, entry] of entries) {
    if (entry === undefined) {
      t.fail(`no chunk for ${what} in ${chunks.names.join(', ')}`)
      continue
    }
    const closure = chunks.closure(entry)
    const builtins = [...closure].flatMap(([chunk, specifiers]) => specifiers.map(s => `${chunk} imports ${s}`))
    t.same(builtins, [], `${what}: ${closure.size} chunks, none importing a builtin module`)
  }
})
