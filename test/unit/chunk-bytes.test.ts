// How much JavaScript each hot command loads before it runs (issue 11,
// docs/performance.md "Start-up: what loading a chunk costs"). In a compiled
// bun executable a chunk costs about 55 to 65 instructions per byte of
// minified code to load, whether or not its functions ever run: a probe
// module of 300 small unused functions (36 KB of source) adds 1.9 M
// instructions to an empty executable's 3.37 M. So the bytes a command loads
// are its start-up cost, and these budgets hold them.
import t from 'tap'
import { bundleChunks } from '../lib/chunks.js'

/**
 * Bytes of minified JavaScript each entry may load: the entry chunk (argv,
 * --version, errors) and each hot command's whole closure. `todo` marks a
 * budget not met yet (what it loaded on 2026-12-03 is in the comment).
 */
const BUDGETS: Array<[string, number, { todo?: boolean }]> = [
  ['--version (the entry chunk)', 12_000, {}], // 33,559 on 2026-12-03; 10,708 after the entry branch
  ['state', 30_000, { todo: true }], // 66,198
  ['kill', 30_000, { todo: true }], // 71,741
  ['delete', 40_000, { todo: true }], // 77,545
  ['start', 40_000, { todo: true }], // 83,277
]

t.test('the entry chunk and each hot command load no more JavaScript than their budget', async t => {
  const chunks = bundleChunks()
  t.teardown(chunks.remove)
  for (const [what, budget, options] of BUDGETS) {
    const entry = what.startsWith('--') ? 'main.js' : chunks.commandChunk(what)
    if (entry === undefined) {
      t.fail(`no chunk for ${what} in ${chunks.names.join(', ')}`)
      continue
    }
    const bytes = chunks.closureBytes(entry)
    t.ok(bytes <= budget, `${what}: ${bytes} bytes in ${chunks.closure(entry).size} chunks (budget ${budget})`, options)
  }
})
