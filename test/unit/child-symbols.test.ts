/**
 * The child calls no allocator and throws nothing (docs/design.md "Native"):
 * scripts/check-child-symbols.sh runs `nm -u` on the child's objects of the
 * last native build (build/Release/obj.target). The check itself is tested
 * too: a child object that calls operator new, or builds a std::string, must
 * make it fail. No root needed; needs a native build and g++.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const REPO = join(import.meta.dirname, '..', '..')
const SCRIPT = join(REPO, 'scripts', 'check-child-symbols.sh')
const BUILD = join(REPO, 'build', 'Release', 'obj.target')

function check (build: string): { status: number | null, output: string } {
  const r = spawnSync('bash', [SCRIPT, build], { encoding: 'utf8' })
  return { status: r.status, output: r.stdout + r.stderr }
}

t.test('the child objects of this build call no allocator and throw nothing', async t => {
  const { status, output } = check(BUILD)
  t.equal(status, 0, output)
  t.match(output, /child objects call no allocator/)
})

// A copy of the build with one more object in the stage (every stage object
// but the plan decoder's is child code), compiled from `source`.
function buildWithChildSource (t: { teardown: (fn: () => void) => void }, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-child-symbols-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The real objects by symlink (nm follows them), and the new one beside them.
  const build = join(dir, 'obj.target')
  mkdirSync(join(build, 'ocirt-stage', 'native'), { recursive: true })
  symlinkSync(join(BUILD, 'ocirt'), join(build, 'ocirt'))
  const stage = join(BUILD, 'ocirt-stage', 'native')
  for (const name of readdirSync(stage)) symlinkSync(join(stage, name), join(build, 'ocirt-stage', 'native', name))
  const file = join(dir, 'step.cc')
  writeFileSync(file, source)
  const cc = spawnSync('g++', ['-std=c++20', '-O1', '-c', file, '-o', join(build, 'ocirt-stage', 'native', 'extra_step.o')], { encoding: 'utf8' })
  if (cc.status !== 0) throw new Error(`g++: ${cc.stderr}`)
  return build
}

t.test('a child step that calls new fails the check, naming the object and symbol', async t => {
  const build = buildWithChildSource(t, 'int* Step(int n) { return new int[n]; }\n')
  const { status, output } = check(build)
  t.not(status, 0)
  t.match(output, /extra_step\.o \(child code\) uses _Znam \(operator new\[\]\(unsigned long\)\)/)
})

t.test('a child step that builds a std::string fails the check', async t => {
  const build = buildWithChildSource(t, '#include <string>\nstd::string Step(const char* s, int n) { return std::string(s) + std::to_string(n); }\n')
  const { status, output } = check(build)
  t.not(status, 0)
  t.match(output, /extra_step\.o \(child code\) uses .*(basic_string|_Znwm)/)
})

t.test('a child step that throws fails the check', async t => {
  const build = buildWithChildSource(t, 'int Step(int n) { if (n < 0) throw n; return n; }\n')
  const { status, output } = check(build)
  t.not(status, 0)
  t.match(output, /__cxa_allocate_exception|__cxa_throw/)
})
