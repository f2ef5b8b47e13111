// Start-up cost of the hot commands (issue 11; docs/performance.md, "Start-up
// after dispatch"). kill, start and delete load dist/ocirt.node; with a shared
// libstdc++ the dynamic linker's lookups and relocations cost 2.67 M
// instructions of each, against 0.45 M with libstdc++ and libgcc linked in.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { OCIRT } from './lib/ocirt.js'

const addon = join(dirname(process.env.RUNTIME ?? OCIRT), 'ocirt.node')

t.test('the addon needs no shared C++ runtime: loading it stays cheap', async t => {
  const dynamic = execFileSync('readelf', ['--dynamic', addon], { encoding: 'utf8' })
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(m => m[1])
  t.ok(needed.length > 0, `readelf lists what ${addon} needs`)
  for (const lib of ['libstdc++', 'libgcc_s', 'libm.']) {
    t.notOk(needed.some(n => n?.startsWith(lib)), `${addon} does not need ${lib}* (needs: ${needed.join(', ')})`)
  }
})

// Importing bun's node:crypto costs a process 5.9 M instructions and 3.6 MiB
// even when nothing of it is called (create imported it for one random name).
t.test('no command imports node:crypto: the Web Crypto global is enough', async t => {
  const bundle = join(dirname(process.env.RUNTIME ?? OCIRT), 'ocirt.mjs')
  const source = readFileSync(bundle, 'utf8')
  t.ok(source.includes('from"node:fs"'), `${bundle} is the bundle of ocirt's modules`)
  t.notMatch(source, /from\s*["']node:crypto["']|require\(["']node:crypto["']\)/, `${bundle} does not import node:crypto`)
})
