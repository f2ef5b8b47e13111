// How much JavaScript each hot command loads before it runs (issue 11,
// docs/performance.md "What loading a chunk costs"). In a compiled bun
// executable a loaded chunk costs instructions whether or not its code runs:
// about 1 K per top-level function, 2.6 K per class method, 1.6 K per key of
// a large object literal built at load (an errno table of 130 names: 0.21 M),
// against an empty executable's 3.37 M. Bytes are the proxy these budgets
// hold; callgrind is what proves a change.
import t from 'tap'
import { bundleChunks, type Chunks } from '../lib/chunks.js'

/**
 * Bytes of minified JavaScript each entry may load: the entry chunk (argv,
 * --version, errors) and each hot command's whole closure. The numbers in the
 * comments are what each loaded on 2026-12-03 before and after the third
 * round (the entry, hotload and start branches).
 */
const BUDGETS: Array<[string, number]> = [
  ['--version (the entry chunk)', 12_000], // 33,559 → 10,708
  // The entry branch moved io.ts and main()'s support (15 KB: the logger, the
  // --root default, the fs errors' words) out of the entry into a chunk each
  // command loads with its module; so a command's total, not the entry alone,
  // is what it pays.
  ['state', 31_000], // 66,198 → 30,288
  ['kill', 35_000], // 71,741 → 34,413
  ['delete', 36_000], // 77,545 → 35,155
  ['start', 33_000], // 83,277 → 31,843
]

/**
 * Bytes a command may load beyond a base command's closure: its own part,
 * held apart so that each part stays put while the other moves.
 * - beyond the entry: state, kill and delete loaded every cgroup manager and
 *   the hook code (39,504, 45,047 and 50,851 bytes beyond the entry before
 *   the hotload branch, 9,545, 13,504 and 14,230 after; 24,784, 28,909 and
 *   29,651 with the 15 KB that the entry branch moved out of the entry);
 * - beyond state: start's hooks, seccomp agent and stopContainer load with
 *   import() only on the paths that use them (18,054 before the start branch,
 *   2,365 after).
 */
const BEYOND: Array<[string, string, number]> = [
  ['state', '--version (the entry chunk)', 25_000],
  ['kill', '--version (the entry chunk)', 29_000],
  ['delete', '--version (the entry chunk)', 30_000],
  ['start', 'state', 4_000],
]

const chunkOf = (chunks: Chunks, what: string): string | undefined => what.startsWith('--') ? 'main.js' : chunks.commandChunk(what)

t.test('the entry chunk and each hot command load no more JavaScript than their budget', async t => {
  const chunks = bundleChunks()
  t.teardown(chunks.remove)
  for (const [what, budget] of BUDGETS) {
    const entry = chunkOf(chunks, what)
    if (entry === undefined) {
      t.fail(`no chunk for ${what} in ${chunks.names.join(', ')}`)
      continue
    }
    const bytes = chunks.closureBytes(entry)
    t.ok(bytes <= budget, `${what}: ${bytes} bytes in ${chunks.closure(entry).size} chunks (budget ${budget})`)
  }
})

t.test('each hot command loads no more JavaScript of its own than its budget', async t => {
  const chunks = bundleChunks()
  t.teardown(chunks.remove)
  for (const [what, base, budget] of BEYOND) {
    const entry = chunkOf(chunks, what)
    const baseEntry = chunkOf(chunks, base)
    if (entry === undefined || baseEntry === undefined) {
      t.fail(`no chunk for ${what} or ${base} in ${chunks.names.join(', ')}`)
      continue
    }
    const baseClosure = chunks.closure(baseEntry)
    const own = [...chunks.closure(entry).keys()].filter(chunk => !baseClosure.has(chunk))
    const bytes = own.reduce((sum, chunk) => sum + chunks.chunkBytes(chunk), 0)
    t.ok(bytes <= budget, `${what}: ${bytes} bytes beyond ${base}'s closure, in ${own.join(', ')} (budget ${budget})`)
  }
})
