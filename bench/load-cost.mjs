#!/usr/bin/env node
// node bench/load-cost.mjs
//
// What loading JavaScript costs a compiled bun executable, whether or not the
// code runs (issue 11, docs/performance.md "What loading a chunk costs").
// Builds small probe programs the way scripts/build-js.mjs builds dist/ocirt
// (bun build --compile --bytecode, the same start-up and minify options) and
// prints each one's callgrind instruction total beside an empty program's.
// Instruction counts, not times: they repeat to 0.01% on this loaded machine.
// Needs valgrind; runs as any user; leaves nothing behind.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bun = ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline'].map(p => join(root, 'node_modules', p, 'bin', 'bun')).find(p => existsSync(p))
if (bun === undefined) throw new Error('bun not found in node_modules: run npm ci')

const range = (/** @type {number} */ n) => Array.from({ length: n }, (_, i) => i)
const small = (/** @type {number} */ i) => `(a, b) { const x = a + b * ${i}; if (x > ${i}) return String(x) + 'abc${i}'; return [a, b, x].join('-') }`

/**
 * [what, source]: each program keeps what it defines alive through globalThis, so that nothing is tree-shaken.
 * @type {Array<[string, string | Record<string, string>]>}
 */
const PROBES = [
  ['an empty program', ''],
  ['300 small top-level functions, referenced from one array',
    range(300).map(i => `function f${i}${small(i)}`).join('\n') + `\nglobalThis.x = [${range(300).map(i => `f${i}`)}]`],
  ['the same 300 functions exported from a module imported as `import * as ns` (bun builds a namespace object of 300 getters)',
    { 'big.js': range(300).map(i => `export function f${i}${small(i)}`).join('\n'), 'main.js': "import * as ns from './big.js'\nglobalThis.x = ns" }],
  ['30 top-level functions holding 300 nested arrow functions',
    range(30).map(i => `function f${i}(a, b) { ${range(10).map(j => `const g${j} = x => x + b * ${i * 100 + j} + '${i}_${j}';`).join(' ')} return [${range(10).map(j => `g${j}(a)`)}].join('-') }`).join('\n') +
    `\nglobalThis.x = [${range(30).map(i => `f${i}`)}]`],
  ['one class with 300 methods', `class C { ${range(300).map(i => `m${i}${small(i)}`).join(' ')} }\nglobalThis.x = C`],
  ['one object literal with 130 number values (an errno table)', `globalThis.x = { ${range(130).map(i => `E${i}: ${i}`)} }`],
  ['two object literals with 130 keys (errno numbers and descriptions)',
    `globalThis.x = [{ ${range(130).map(i => `E${i}: ${i}`)} }, { ${range(130).map(i => `E${i}: 'description number ${i} of errno'`)} }]`],
  ['one array literal of the same 130 names', `globalThis.x = [${range(130).map(i => `'E${i}'`)}]`],
]

const dir = mkdtempSync(join(tmpdir(), 'ocirt-load-cost-'))
try {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' }
  const options = ['--bytecode', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--compile-jit-policy=10', '--format=esm', '--minify-syntax', '--minify-whitespace']
  /** @type {Array<{ what: string, instructions: number }>} */
  const rows = PROBES.map(([what, source], n) => {
    const files = typeof source === 'string' ? { 'main.js': source } : source
    const probeDir = join(dir, String(n))
    mkdirSync(probeDir)
    for (const [name, text] of Object.entries(files)) writeFileSync(join(probeDir, name), text)
    const exe = join(probeDir, 'probe')
    execFileSync(bun, ['build', '--compile', ...options, join(probeDir, 'main.js'), '--outfile', exe], { env, stdio: 'ignore' })
    const { stderr } = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', exe], { env, encoding: 'utf8' })
    const total = /Collected : (\d+)/.exec(stderr)?.[1]
    if (total === undefined) throw new Error(`valgrind printed no total for "${what}": ${stderr}`)
    return { what, instructions: Number(total) }
  })
  const empty = rows[0]?.instructions ?? 0
  const millions = (/** @type {number} */ n) => `${(n / 1e6).toFixed(2)} M`
  console.log('| probe (bun build --compile --bytecode, as dist/ocirt) | instructions | over the empty program |')
  console.log('|:---|---:|---:|')
  for (const { what, instructions } of rows) console.log(`| ${what} | ${millions(instructions)} | ${instructions === empty ? '' : `+${millions(instructions - empty)}`} |`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
