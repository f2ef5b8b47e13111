// The cgroup v2 device filter (src/linux/cgroups/device-filter.ts and
// native/bpf.cc) against the kernel: each case attaches a compiled filter to a
// fresh cgroup2 directory, moves a shell into it and reports what the kernel
// let that shell open and mknod. This host's cgroup2 hierarchy (hybrid mode:
// /sys/fs/cgroup/unified, or / on a pure v2 host) runs device programs for its
// members even though the v1 controllers are elsewhere.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileDeviceFilter } from '../src/linux/cgroups/device-filter.js'
import { loadNative } from '../src/native.js'
import { ConfigError } from '../src/errors.js'
import type { LinuxDeviceCgroup } from '../src/spec/types.js'

const native = loadNative()

function cgroup2Root (): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ')
    const dash = fields.indexOf('-')
    // proc(5) mountinfo: the mount point is field 5.
    if (dash > 0 && fields[dash + 1] === 'cgroup2') return fields[4] ?? null
  }
  return null
}

const root = cgroup2Root()
if (root === null || process.getuid?.() !== 0) {
  t.plan(0, 'needs root and a cgroup2 hierarchy')
  process.exit(0)
}

// Our own parent at the hierarchy's root, removed with everything in it.
const parent = join(root, `ocirt-test-devfilter-${process.pid}`)
mkdirSync(parent)
const scratch = mkdtempSync(join(tmpdir(), 'ocirt-devfilter-'))
let caseNumber = 0
t.teardown(() => {
  for (let i = 1; i <= caseNumber; i++) {
    const dir = join(parent, `case-${i}`)
    if (existsSync(dir)) rmdirSync(dir)
  }
  rmdirSync(parent)
  rmSync(scratch, { recursive: true, force: true })
})

type Verdict = 'ok' | 'EPERM'

/**
 * Runs `ops` (name → shell command) in a shell inside a fresh cgroup whose
 * device filter is `rules` (then, if given, replaced by `update`), and returns
 * each op's verdict.
 */
async function probe (rules: LinuxDeviceCgroup[], ops: Record<string, string>, update?: LinuxDeviceCgroup[]): Promise<Record<string, Verdict>> {
  const dir = join(parent, `case-${++caseNumber}`)
  mkdirSync(dir)
  native.attachDeviceFilter(dir, compileDeviceFilter(rules))
  if (update !== undefined) native.attachDeviceFilter(dir, compileDeviceFilter(update))
  // Waits for a line on stdin (sent once it is inside the cgroup), then runs
  // each op in a subshell and prints `name ok` or `name <error text>`.
  const script = ['read go'].concat(Object.entries(ops).map(([name, op]) =>
    `if out=$( (${op}) 2>&1 ); then echo "${name} ok"; else echo "${name} $out"; fi`)).join('\n')
  const child = spawn('/bin/busybox', ['sh', '-c', script], { cwd: scratch, stdio: ['pipe', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  const exited = new Promise<void>(resolve => child.on('close', () => { resolve() }))
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(child.pid))
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  child.stdin.end('go\n')
  await exited
  const verdicts: Record<string, Verdict> = {}
  for (const line of stdout.trim().split('\n')) {
    const [name = '', ...rest] = line.split(' ')
    const text = rest.join(' ')
    if (text === 'ok') verdicts[name] = 'ok'
    else if (text.includes('Operation not permitted')) verdicts[name] = 'EPERM'
    else throw new Error(`${name}: unexpected failure: ${text}`)
  }
  return verdicts
}

let node = 0
const mknod = (type: 'c' | 'b', major: number, minor: number): string => `busybox mknod n${++node} ${type} ${major} ${minor}`
const NULL_OPS = {
  read: 'exec 3< /dev/null',
  write: 'exec 3> /dev/null',
  readWrite: 'exec 3<> /dev/null',
  zeroRead: 'exec 3< /dev/zero',
  zeroWrite: 'exec 3> /dev/zero',
}

t.test('no rules: every device is refused', async t => {
  t.same(await probe([], { ...NULL_OPS, mknod: mknod('c', 1, 3) }),
    { read: 'EPERM', write: 'EPERM', readWrite: 'EPERM', zeroRead: 'EPERM', zeroWrite: 'EPERM', mknod: 'EPERM' })
})

t.test('allow c 1:3 rw: /dev/null opens, /dev/zero does not, mknod needs m', async t => {
  t.same(await probe([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }], { ...NULL_OPS, mknod: mknod('c', 1, 3) }),
    { read: 'ok', write: 'ok', readWrite: 'ok', zeroRead: 'EPERM', zeroWrite: 'EPERM', mknod: 'EPERM' })
})

t.test('deny rules after allow a: the last matching rule wins, per access bit', async t => {
  t.same(await probe([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }], NULL_OPS),
    { read: 'ok', write: 'EPERM', readWrite: 'EPERM', zeroRead: 'ok', zeroWrite: 'ok' })
})

t.test('a later allow re-opens what an earlier deny closed', async t => {
  t.same(await probe([
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: false, type: 'c', major: 1, minor: 3, access: 'rw' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
  ], NULL_OPS), { read: 'ok', write: 'EPERM', readWrite: 'EPERM', zeroRead: 'EPERM', zeroWrite: 'EPERM' })
})

t.test('wildcards: c 1:* r and c 1:3 w together grant /dev/null read-write', async t => {
  t.same(await probe([{ allow: true, type: 'c', major: 1, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }], NULL_OPS),
    { read: 'ok', write: 'ok', readWrite: 'ok', zeroRead: 'ok', zeroWrite: 'EPERM' })
})

t.test('minor -1 is a wildcard too (runc writes it for "*")', async t => {
  t.same(await probe([{ allow: true, type: 'c', major: 1, minor: -1, access: 'rw' }], NULL_OPS),
    { read: 'ok', write: 'ok', readWrite: 'ok', zeroRead: 'ok', zeroWrite: 'ok' })
})

t.test('m rules: c *:* m allows mknod of char devices only, and no open', async t => {
  t.same(await probe([{ allow: true, type: 'c', access: 'm' }], { charNode: mknod('c', 1, 3), blockNode: mknod('b', 7, 0), read: NULL_OPS.read }),
    { charNode: 'ok', blockNode: 'EPERM', read: 'EPERM' })
})

t.test('type b rules do not match char devices', async t => {
  t.same(await probe([{ allow: true, type: 'b', access: 'rwm' }], { read: NULL_OPS.read, blockNode: mknod('b', 7, 0) }),
    { read: 'EPERM', blockNode: 'ok' })
})

t.test('a trailing deny a closes everything, a trailing allow a opens everything', async t => {
  const allowNull: LinuxDeviceCgroup = { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }
  t.same(await probe([allowNull, { allow: false, access: 'rwm' }], { read: NULL_OPS.read }), { read: 'EPERM' })
  t.same(await probe([{ allow: false }, allowNull, { allow: true }], { zeroRead: NULL_OPS.zeroRead, mknod: mknod('b', 7, 0) }), { zeroRead: 'ok', mknod: 'ok' })
})

t.test('attaching again replaces the filter (update): the old one is detached', async t => {
  const only = (minor: number): LinuxDeviceCgroup[] => [{ allow: true, type: 'c', major: 1, minor, access: 'rw' }]
  // If the first filter (null only) stayed attached, /dev/zero would stay refused.
  t.same(await probe(only(3), NULL_OPS, only(5)), { read: 'EPERM', write: 'EPERM', readWrite: 'EPERM', zeroRead: 'ok', zeroWrite: 'ok' })
})

t.test('an access letter other than r, w, m is a ConfigError naming the rule', async t => {
  t.throws(() => compileDeviceFilter([{ allow: true }, { allow: true, access: 'rx' }]),
    new ConfigError('config.json', '/linux/resources/devices/1/access', 'device access "rx" may hold only r, w and m'))
})

t.test('attachDeviceFilter reports the errno of a missing cgroup', async t => {
  t.throws(() => { native.attachDeviceFilter(join(parent, 'missing'), compileDeviceFilter([])) }, { code: 'ENOENT' })
})
