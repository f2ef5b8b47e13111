// src/linux/path.ts stands in for node:path in the hot commands (issue 11):
// each function must give what node:path's posix one gives, '..' and
// repeated slashes included (a cgroupsPath from config.json goes through
// normalize and join). No root and no built binary needed.
import t from 'tap'
import { posix } from 'node:path'
import * as ours from '../../src/linux/path.js'

const SAMPLES = ['', '/', '//', '///a', 'a', 'a/', 'a//b', '/a/b/', '/a/./b/../c', '../a', '../../a/..', './', '.', '..', '/..',
  '/../a', 'a/..', 'a/../..', '/a/b/c/../../..', 'a/b/../../../c/', '//a//b//', '/a/b/.', '/a/b/..', '.hidden', 'a/.', '...',
  '/a/.../b', './a/./b/.', '/sys/fs/cgroup/memory/../../../etc', 'ocirt/../../x']

t.test('one path: normalize, dirname, basename, isAbsolute, resolve', async t => {
  for (const p of SAMPLES) {
    t.equal(ours.normalize(p), posix.normalize(p), `normalize(${JSON.stringify(p)})`)
    t.equal(ours.dirname(p), posix.dirname(p), `dirname(${JSON.stringify(p)})`)
    t.equal(ours.basename(p), posix.basename(p), `basename(${JSON.stringify(p)})`)
    t.equal(ours.isAbsolute(p), posix.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`)
    t.equal(ours.resolve(p), posix.resolve(p), `resolve(${JSON.stringify(p)})`)
  }
})

t.test('two paths: join, resolve, relative', async t => {
  let mismatches = 0
  for (const a of SAMPLES) {
    for (const b of SAMPLES) {
      for (const fn of ['join', 'resolve', 'relative'] as const) {
        const want = posix[fn](a, b)
        const got = ours[fn](a, b)
        if (got !== want) {
          mismatches++
          t.equal(got, want, `${fn}(${JSON.stringify(a)}, ${JSON.stringify(b)})`)
        }
      }
    }
  }
  t.equal(mismatches, 0, `${SAMPLES.length ** 2 * 3} pairs as node:path gives them`)
  t.equal(ours.join('/a', 'b', '../c', 'd/'), posix.join('/a', 'b', '../c', 'd/'), 'join of four')
})
