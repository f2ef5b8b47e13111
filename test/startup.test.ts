// Start-up cost of the hot commands (issue 11; docs/performance.md, "Start-up
// after dispatch"). kill, start and delete load dist/ocirt.node; with a shared
// libstdc++ the dynamic linker's lookups and relocations cost 2.67 M
// instructions of each, against 0.45 M with libstdc++ and libgcc linked in.
import t from 'tap'
import { execFileSync } from 'node:child_process'
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
