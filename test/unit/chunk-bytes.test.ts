// How much JavaScript each hot command loads before it runs (issue 11,
// docs/performance.md "What loading a chunk costs"). In a compiled bun
// executable a loaded chunk costs instructions whether or not its code runs:
// about 1 K per top-level function, 2.6 K per class method, 1.6 K per key of
// a large object literal built at load (an errno table of 130 names: 0.21 M),
// against an empty executable's 3.37 M. Bytes are the proxy these budgets
// hold; callgrind is what proves a change.
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
  // start's own code is 2.4 KB after the `start` branch (62,463 in all, with
  // the entry branch); what holds the rest is what `state` loads too: the
  // entry, the support chunk (15.6 KB) and the cgroup chunk that
  // containerStatus reaches through managerFor (38.7 KB).
  ['start', 40_000, { todo: true }], // 83,277
]

/**
 * Bytes a command may load beyond what `state` loads (the entry chunk, the
 * state store and containerStatus): its own code. start's hooks, seccomp
 * agent and stopContainer load with import() only on the paths that use them
 * (2026-12-03: 18,054 bytes beyond state's closure before, 2,365 after).
 */
const BEYOND_STATE: Array<[string, number]> = [
  ['start', 4_000],
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

t.test('start loads little beyond what state loads: its hooks, seccomp agent and stop code only when used', async t => {
  const chunks = bundleChunks()
  t.teardown(chunks.remove)
  const stateChunk = chunks.commandChunk('state')
  if (stateChunk === undefined) {
    t.fail(`no chunk for state in ${chunks.names.join(', ')}`)
    return
  }
  const stateClosure = chunks.closure(stateChunk)
  for (const [what, budget] of BEYOND_STATE) {
    const entry = chunks.commandChunk(what)
    if (entry === undefined) {
      t.fail(`no chunk for ${what} in ${chunks.names.join(', ')}`)
      continue
    }
    const own = [...chunks.closure(entry).keys()].filter(chunk => !stateClosure.has(chunk))
    const bytes = own.reduce((sum, chunk) => sum + chunks.chunkBytes(chunk), 0)
    t.ok(bytes <= budget, `${what}: ${bytes} bytes beyond state's closure in ${own.join(', ')} (budget ${budget})`)
  }
})
