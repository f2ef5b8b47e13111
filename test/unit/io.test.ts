// src/linux/io.ts stands in for node:fs in the hot commands (issue 11), over
// the addon's file syscalls (native/file_io.cc). Callers and src/fs-errors.ts
// read node's error fields and words, so each case here runs through both
// and must give the same result or the same error: message, code, errno,
// syscall, path. No root needed; the addon comes from dist/ or build/.
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as io from '../../src/linux/io.js'

const dir = fs.mkdtempSync(join(tmpdir(), 'ocirt-io-'))
t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
fs.writeFileSync(join(dir, 'file'), 'ü text\n')
fs.mkdirSync(join(dir, 'sub'))
fs.writeFileSync(join(dir, 'sub', 'inner'), 'x')
fs.symlinkSync('file', join(dir, 'link'))
fs.symlinkSync('/nonexistent', join(dir, 'dangling'))

type Outcome = { value: unknown } | { error: { message: string, code: unknown, errno: unknown, syscall: unknown, path: unknown } }

function outcome (fn: () => unknown): Outcome {
  try {
    return { value: fn() }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    return { error: { message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path } }
  }
}

/** The same call through node:fs and io.ts; `shape` maps a result to what is compared. */
function same (t: Test, what: string, nodeCall: () => unknown, ioCall: () => unknown, shape: (v: unknown) => unknown = v => v): void {
  const want = outcome(nodeCall)
  const got = outcome(ioCall)
  if ('value' in want && 'value' in got) t.same(shape(got.value), shape(want.value), what)
  else t.same(got, want, what)
}

const stat = (v: unknown): unknown => {
  const s = v as fs.Stats
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, ino: s.ino, dev: s.dev, nlink: s.nlink, file: s.isFile(), dir: s.isDirectory(), link: s.isSymbolicLink() }
}
const sorted = (v: unknown): unknown => [...(v as string[])].sort()
const dirents = (v: unknown): unknown => (v as fs.Dirent[]).map(d => [d.name, d.isFile(), d.isDirectory(), d.isSymbolicLink()]).sort()

t.test('reads, and the errors of reads', async t => {
  for (const p of [join(dir, 'file'), join(dir, 'link'), '/proc/self/stat', join(dir, 'missing'), join(dir, 'file', 'x'), join(dir, 'dangling'), join(dir, 'sub')]) {
    if (p !== '/proc/self/stat') same(t, `readFileSync ${p}`, () => fs.readFileSync(p, 'utf8'), () => io.readFileSync(p, 'utf8'))
    else t.match(io.readFileSync(p, 'utf8'), new RegExp(`^${process.pid} `), 'a procfs file (size 0) is read to its end')
    same(t, `existsSync ${p}`, () => fs.existsSync(p), () => io.existsSync(p))
    same(t, `statSync ${p}`, () => fs.statSync(p), () => io.statSync(p), stat)
    same(t, `lstatSync ${p}`, () => fs.lstatSync(p), () => io.lstatSync(p), stat)
    same(t, `readlinkSync ${p}`, () => fs.readlinkSync(p), () => io.readlinkSync(p))
    same(t, `readdirSync ${p}`, () => fs.readdirSync(p), () => io.readdirSync(p), sorted)
  }
  same(t, 'readdirSync withFileTypes', () => fs.readdirSync(dir, { withFileTypes: true }), () => io.readdirSync(dir, { withFileTypes: true }), dirents)
  const fd = io.openSync(join(dir, 'file'), io.constants.O_RDONLY | io.constants.O_NOFOLLOW | io.constants.O_NONBLOCK)
  t.same(stat(io.fstatSync(fd)), stat(fs.statSync(join(dir, 'file'))), 'fstatSync of an open fd')
  t.equal(io.readFileSync(fd, 'utf8'), 'ü text\n', 'readFileSync of an fd')
  io.closeSync(fd)
  same(t, 'open O_NOFOLLOW of a symlink', () => fs.openSync(join(dir, 'link'), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW), () => io.openSync(join(dir, 'link'), io.constants.O_RDONLY | io.constants.O_NOFOLLOW), () => 'opened')
  same(t, 'closeSync of a closed fd', () => { fs.closeSync(fd) }, () => { io.closeSync(fd) })
})

t.test('writes, directories, removal', async t => {
  for (const [name, data] of [['w1', 'one'], ['w2', 'ü 容器\n'.repeat(5000)]] as const) {
    io.writeFileSync(join(dir, name), data, { mode: 0o600 })
    t.equal(fs.readFileSync(join(dir, name), 'utf8'), data, `writeFileSync ${name}`)
    t.equal(fs.statSync(join(dir, name)).mode & 0o777, 0o600 & ~process.umask(), 'with the mode asked for')
  }
  io.appendFileSync(join(dir, 'w1'), ' two')
  t.equal(fs.readFileSync(join(dir, 'w1'), 'utf8'), 'one two', 'appendFileSync')
  same(t, 'writeFileSync into a missing dir', () => { fs.writeFileSync(join(dir, 'no', 'x'), '') }, () => { io.writeFileSync(join(dir, 'no', 'x'), '') })
  same(t, 'writeSync to a bad fd', () => fs.writeSync(999, 'x'), () => io.writeSync(999, 'x'))
  same(t, 'mkdirSync of an existing dir', () => { fs.mkdirSync(join(dir, 'sub')) }, () => { io.mkdirSync(join(dir, 'sub')) })
  same(t, 'accessSync W_OK of a missing file', () => { fs.accessSync(join(dir, 'missing'), fs.constants.W_OK) }, () => { io.accessSync(join(dir, 'missing'), io.constants.W_OK) })
  same(t, 'accessSync of a file', () => { fs.accessSync(join(dir, 'file')) }, () => { io.accessSync(join(dir, 'file')) })
  io.mkdirSync(join(dir, 'm'), 0o750)
  t.equal(fs.statSync(join(dir, 'm')).mode & 0o777, 0o750 & ~process.umask(), 'mkdirSync with a mode number')
  same(t, 'mkdirSync under a file', () => { fs.mkdirSync(join(dir, 'file', 'd')) }, () => { io.mkdirSync(join(dir, 'file', 'd')) })
  io.mkdirSync(join(dir, 'r', 's', 't'), { recursive: true, mode: 0o700 })
  io.mkdirSync(join(dir, 'r', 's', 't'), { recursive: true, mode: 0o700 })
  t.ok(fs.statSync(join(dir, 'r', 's', 't')).isDirectory(), 'mkdirSync recursive makes the parents and accepts an existing dir')
  same(t, 'rmdirSync of a full dir', () => { fs.rmdirSync(join(dir, 'sub')) }, () => { io.rmdirSync(join(dir, 'sub')) })
  same(t, 'renameSync of a missing file', () => { fs.renameSync(join(dir, 'missing'), join(dir, 'x')) }, () => { io.renameSync(join(dir, 'missing'), join(dir, 'x')) })
  io.renameSync(join(dir, 'w2'), join(dir, 'w3'))
  t.ok(fs.existsSync(join(dir, 'w3')) && !fs.existsSync(join(dir, 'w2')), 'renameSync')
  fs.symlinkSync(join(dir, 'sub'), join(dir, 'r', 's', 'escape'))
  io.rmSync(join(dir, 'r'), { recursive: true, force: true })
  t.notOk(fs.existsSync(join(dir, 'r')), 'rmSync recursive removes the tree')
  t.ok(fs.existsSync(join(dir, 'sub', 'inner')), 'and removes a symlink in it, not what it points to')
  io.rmSync(join(dir, 'missing'), { force: true })
  same(t, 'rmSync of a missing path without force', () => { fs.rmSync(join(dir, 'missing')) }, () => { io.rmSync(join(dir, 'missing')) })
  io.unlinkSync(join(dir, 'w3'))
  same(t, 'unlinkSync of a missing file', () => { fs.unlinkSync(join(dir, 'w3')) }, () => { io.unlinkSync(join(dir, 'w3')) })
})

t.test('create, run and exec: readSync, realpathSync', async t => {
  const fd = fs.openSync(join(dir, 'file'), 'r')
  t.teardown(() => { fs.closeSync(fd) })
  const nodeBuf = Buffer.alloc(8)
  const ioBuf = Buffer.alloc(8)
  same(t, 'readSync of a file', () => fs.readSync(fd, nodeBuf, 1, 4, 0), () => io.readSync(fd, ioBuf, 1, 4, null))
  t.same(ioBuf, nodeBuf, 'readSync: the same bytes at the same offset')
  t.equal(io.readSync(fd, ioBuf, 0, 8, null), 4, 'readSync goes on from the fd offset to the end')
  t.equal(io.readSync(fd, ioBuf, 0, 8, null), 0, 'and returns 0 there')
  same(t, 'readSync of a bad fd', () => fs.readSync(999, nodeBuf, 0, 8, null), () => io.readSync(999, ioBuf, 0, 8, null))
  const dfd = fs.openSync(join(dir, 'sub'), 'r')
  same(t, 'readSync of a directory', () => fs.readSync(dfd, nodeBuf, 0, 8, null), () => io.readSync(dfd, ioBuf, 0, 8, null))
  fs.closeSync(dfd)
  for (const p of [join(dir, 'link'), join(dir, 'sub', '..', 'file'), `${dir}//sub/`, '/']) {
    same(t, `realpathSync ${p}`, () => fs.realpathSync(p), () => io.realpathSync(p))
  }
  // Errors as node's realpathSync.native (one realpath(3)); the JS one names the lstat that failed.
  for (const p of [join(dir, 'missing'), join(dir, 'dangling'), join(dir, 'file', 'x')]) {
    same(t, `realpathSync ${p}`, () => fs.realpathSync.native(p), () => io.realpathSync(p))
  }
})
