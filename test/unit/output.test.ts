// print (src/output.ts) writes ASCII as a string and other text as UTF-8
// bytes without ever naming Buffer (issue 11: a chunk that names Buffer
// loads bun's node:buffer at start-up). Both paths must write every byte, in
// order, with one newline at the end. No root and no built binary needed.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const output = join(import.meta.dirname, '../../src/output.ts')

/** What print writes for `texts`, and for a 200 KB ASCII and a 200 KB UTF-8 text after them. */
function printed (texts: string[]): string {
  const script = `import { print } from ${JSON.stringify(output)}\nfor (const text of ${JSON.stringify(texts)}) print(text)\nprint('a'.repeat(200000))\nprint('ü'.repeat(100000))`
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`print failed: ${r.error?.message ?? r.stderr}`)
  const tail = `${'a'.repeat(200_000)}\n${'ü'.repeat(100_000)}\n`
  if (!r.stdout.endsWith(tail)) throw new Error('the long texts came out changed')
  return r.stdout.slice(0, -tail.length)
}

t.test('ASCII and UTF-8 text, with and without a final newline', async t => {
  t.equal(printed(['ocirt version 1', 'two\n', 'état: ü 容器', '{"x":"\\u00fc"}']),
    'ocirt version 1\ntwo\nétat: ü 容器\n{"x":"\\u00fc"}\n')
})

t.test('output.ts names no Buffer outside its comments (every process loads it)', async t => {
  const code = readFileSync(output, 'utf8').split('\n').filter(line => !/^\s*(\/\/|\/\*\*|\*)/.test(line))
  t.same(code.filter(line => /\bBuffer\b/.test(line)), [])
})
