// Issue 15 (red team), items 4-10 and 12: what another local user, a fault or
// bad input could do to ocirt running as root. Each test fails on the build
// before the fix (see docs/security.md) and cleans up what it made.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import type { TapLike } from '../conformance/lib/harness.js'
import { assertNothingLeft, bundleFor, cgroupDirsFor, snapshotHost, waitFor } from '../conformance/lib/harness.js'
import { inheritedChildren, isAlive, reapOrphans, spawnTracked } from '../conformance/lib/reaper.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { idWithCgroup, ocirt, OCIRT } from './lib/ocirt.js'

/** A uid (and gid) no account and no process has: "another local user". */
function unusedUid (): number {
  const taken = new Set(readFileSync('/etc/passwd', 'utf8').split('\n').map(l => Number(l.split(':')[2])))
  for (;;) {
    const uid = 61000 + Math.floor(Math.random() * 4000)
    if (!taken.has(uid)) return uid
  }
}
const OTHER = unusedUid()

/** Runs `file args` as OTHER, with no supplementary groups. */
function asOther (file: string, args: string[], input?: string): { code: number | null, stdout: string, stderr: string } {
  const r = spawnSync('setpriv', ['--reuid', String(OTHER), '--regid', String(OTHER), '--clear-groups', file, ...args], { encoding: 'utf8', timeout: 10_000, input })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A fresh dir for a test, removed at teardown. */
function tempDir (t: TapLike, mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-seclocal-'))
  chmodSync(dir, mode)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The error is one line, names `pattern`, and is no internal error. */
function assertOneLine (t: TapLike, r: { code: number | null, stderr: string }, pattern: RegExp, what: string): void {
  t.equal(r.code, 1, `${what}: exit 1`)
  t.match(r.stderr, pattern, what)
  t.notMatch(r.stderr, /internal error|\n\s+at /, `${what}: no internal error or stack trace`)
  t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`, { stderr: r.stderr })
}

// ------------------------------------------------------------------ item 4

/** Sets `key` back to its value now when the test ends, whatever ocirt did to it. */
function restoreSysctlAtTeardown (t: TapLike, key: string): string {
  const path = join('/proc/sys', key.replace(/\./g, '/'))
  const value = readFileSync(path, 'utf8').trim()
  t.teardown(() => { if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, value) })
  return value
}

for (const [type, key, other] of [
  ['network', 'net.ipv4.tcp_keepalive_probes', (v: string) => String(Number(v) + 1)],
  ['ipc', 'kernel.shmmni', (v: string) => String(Number(v) - 1)],
  ['uts', 'kernel.domainname', () => 'ocirt-redteam'],
] as const) {
  t.test(`item 4: a ${key} sysctl in a joined ${type} namespace that is the host's is refused`, async t => {
    const hostValue = restoreSysctlAtTeardown(t, key)
    const nsFile = { network: 'net', ipc: 'ipc', uts: 'uts' }[type]
    const { rt, bundle, id } = await ocirt(t, spec => {
      spec.linux!.namespaces = spec.linux!.namespaces!.filter(n => n.type !== type)
      spec.linux!.namespaces.push({ type, path: `/proc/${process.pid}/ns/${nsFile}` })
      spec.linux!.sysctl = { [key]: other(hostValue) }
    }, { shared: false })
    const before = snapshotHost()
    const r = await rt.create(id, bundle.dir)
    assertOneLine(t, r, new RegExp(`config\\.json: /linux/sysctl/${key.replace(/\./g, '\\.')}: .*would change the host`), 'create')
    t.equal(readFileSync(join('/proc/sys', key.replace(/\./g, '/')), 'utf8').trim(), hostValue, `the host's ${key} is unchanged`)
    await assertNothingLeft(t, rt, id, before)
  })
}

// ------------------------------------------------------------------ item 5

t.test('item 5: with umask 000, another user cannot connect to exec.sock and start the container', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] }, { shared: false })
  // A root ocirt makes itself, as /run/ocirt is, under a dir everyone can traverse.
  const root = join(tempDir(t), 'root')
  t.teardown(() => { spawnSync(OCIRT, ['--root', root, 'delete', '--force', id], { timeout: 10_000 }) })
  const r = spawnSync('sh', ['-c', 'umask 000; exec "$@"', 'sh', OCIRT, '--root', root, 'create', '--bundle', bundle.dir, id], { encoding: 'utf8', timeout: 10_000 })
  t.equal(r.status, 0, r.stderr)
  const sock = join(root, id, 'exec.sock')
  t.equal(statSync(sock).mode & 0o077, 0, 'exec.sock is for its owner only')
  t.equal(statSync(root).mode & 0o077, 0, 'the state root is 0700')
  const connect = asOther(process.execPath, ['-e', `require('net').connect(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', e => { console.log(e.code); process.exit(1) })`])
  t.notMatch(connect.stdout, /connected/, 'another user cannot connect', connect)
  const st = spawnSync(OCIRT, ['--root', root, 'state', id], { encoding: 'utf8' })
  t.equal(JSON.parse(st.stdout).status, 'created', 'the container was not started by them')
  void rt
})

// ------------------------------------------------------------------ items 6, 7

t.test('item 6: --pid-file does not follow a symlink planted at a temp name beside it', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['true'] }, { shared: false })
  const dir = tempDir(t, 0o1777)
  const victim = join(tempDir(t), 'precious')
  writeFileSync(victim, 'root data')
  // Every temp name the old code could use (".<ocirt pid>.pid.tmp") for the pids to come points at the victim.
  const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'))
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))
  for (let i = 1; i <= 3000; i++) symlinkSync(victim, join(dir, `.${(last + i) % pidMax}.pid.tmp`))
  const pidFile = join(dir, 'init.pid')
  const r = await rt.run(['create', '--bundle', bundle.dir, '--pid-file', pidFile, id])
  t.equal(r.code, 0, r.stderr)
  t.equal(readFileSync(victim, 'utf8'), 'root data', 'the symlinked file is untouched')
  t.match(readFileSync(pidFile, 'utf8'), /^\d+$/, 'the pid file has the pid')
  t.equal(readdirSync(dir).filter(n => !/^\.\d+\.pid\.tmp$/.test(n)).length, 1, 'no temp file of ours is left')
})

// The guide: every file ocirt writes as root is opened without following
// symlinks. Traced on the main thread of ocirt itself (strace without -f:
// not the stage, init or container, whose opens are inside the rootfs).
t.test('item 6: every file create, start, kill and delete open for writing is opened with O_NOFOLLOW', async t => {
  t.equal(spawnSync('strace', ['-V']).status, 0, 'strace is installed (scripts/install-deps.sh)')
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '60'] }, { shared: false })
  const dir = tempDir(t)
  const traced = join(dir, 'ocirt-traced')
  const trace = join(dir, 'trace')
  writeFileSync(traced, `#!/bin/sh\nexec strace -qq -e trace=open,openat,openat2,creat -o ${trace}.$1 -- ${OCIRT} --root ${rt.root} "$@"\n`, { mode: 0o755 })
  for (const args of [['create', '--bundle', bundle.dir, '--pid-file', join(dir, 'init.pid'), id], ['start', id], ['kill', id, 'KILL'], ['delete', '--force', id]]) {
    // Output to a file: the container's init keeps create's stdio open.
    const errors = join(dir, `stderr.${args[0]}`)
    const r = spawnSync('sh', ['-c', `exec "$0" "$@" </dev/null >/dev/null 2>${errors}`, traced, ...args], { timeout: 60_000 })
    t.equal(r.status, 0, `${args[0]} under strace (${readFileSync(errors, 'utf8')})`)
  }
  const opens = readdirSync(dir).filter(n => n.startsWith('trace.')).flatMap(n => readFileSync(join(dir, n), 'utf8').split('\n'))
  const writes = opens.filter(l => /O_WRONLY|O_RDWR|O_CREAT/.test(l))
  t.ok(writes.some(l => l.includes('state.json')), 'the trace holds the state file\'s write', { writes })
  t.same(writes.filter(l => !l.includes('O_NOFOLLOW')), [], 'no open for writing follows a symlink')
})

t.test('item 7: a failed create leaves an existing --pid-file alone', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.hooks = { createRuntime: [{ path: '/bin/false' }] } }, { shared: false })
  const pidFile = join(tempDir(t), 'other.pid')
  writeFileSync(pidFile, '4242')
  const r = await rt.run(['create', '--bundle', bundle.dir, '--pid-file', pidFile, id])
  t.equal(r.code, 1)
  t.equal(readFileSync(pidFile, 'utf8'), '4242', 'the file that was there is still there')
})

// ------------------------------------------------------------------ item 8

t.test('item 8: a state dir another user can write is refused, and its hooks never run', async t => {
  const base = tempDir(t)
  const root = join(base, 'root')
  mkdirSync(root)
  chmodSync(root, 0o1777)
  const marker = join(base, 'hook-ran')
  const id = `forged-${process.pid}`
  // The other user forges a container whose poststop hook would run as root.
  const forged = {
    ociVersion: '1.0.2', id, pid: 0, bundle: base, rootfs: base, created: new Date().toISOString(), initStartTime: '', owner: '',
    config: { ociVersion: '1.0.2', root: { path: base }, hooks: { poststop: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${marker}`] }] } },
  }
  const w = asOther('/bin/sh', ['-c', `mkdir -m 755 ${root}/${id} && cat > ${root}/${id}/state.json`], JSON.stringify(forged))
  t.equal(w.code, 0, w.stderr)
  for (const args of [['delete', '--force', id], ['delete', id], ['state', id], ['kill', id, 'KILL'], ['start', id], ['list']]) {
    const r = spawnSync(OCIRT, ['--root', root, ...args], { encoding: 'utf8', timeout: 10_000 })
    assertOneLine(t, { code: r.status, stderr: r.stderr }, /refusing to use the state directory \(--root\) .*other users can write to it/, args.join(' '))
  }
  t.notOk(existsSync(marker), 'the forged poststop hook did not run')
  t.ok(existsSync(join(root, id, 'state.json')), 'nothing was deleted on their say-so')
})

t.test('item 8: a container dir or state.json owned by another user in a private root is refused', async t => {
  const base = tempDir(t)
  const root = join(base, 'root')
  mkdirSync(root, { mode: 0o700 })
  const marker = join(base, 'hook-ran')
  const id = `forged-${process.pid}`
  mkdirSync(join(root, id), { mode: 0o711 })
  writeFileSync(join(root, id, 'state.json'), JSON.stringify({
    ociVersion: '1.0.2', id, pid: 0, bundle: base, rootfs: base, created: new Date().toISOString(), initStartTime: '', owner: '',
    config: { ociVersion: '1.0.2', root: { path: base }, hooks: { poststop: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${marker}`] }] } },
  }))
  execFileSync('chown', [`${OTHER}:${OTHER}`, join(root, id, 'state.json')])
  const r = spawnSync(OCIRT, ['--root', root, 'delete', '--force', id], { encoding: 'utf8', timeout: 10_000 })
  assertOneLine(t, { code: r.status, stderr: r.stderr }, /refusing to use the state file .* owned by uid/, 'delete --force')
  t.notOk(existsSync(marker), 'the hook did not run')
})

// ------------------------------------------------------------------ item 10

t.test('item 10: a config.json, --process or --resources that is a FIFO or a device is refused at once', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] }, { shared: false })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const dir = tempDir(t)
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  for (const [what, args] of [
    ['exec --process FIFO', ['exec', '--process', fifo, id]],
    ['exec --process /dev/zero', ['exec', '--process', '/dev/zero', id]],
    ['update --resources FIFO', ['update', '--resources', fifo, id]],
    ['update --resources /dev/zero', ['update', '--resources', '/dev/zero', id]],
  ] as const) {
    const started = Date.now()
    const r = await rt.run([...args], { timeoutMs: 3000 }).catch(e => ({ code: null, stderr: String(e) }))
    assertOneLine(t, r, /is not a regular file/, what)
    t.ok(Date.now() - started < 3000, `${what}: fails at once`)
  }
  const huge = await rt.run(['update', '--resources', '-', id], { input: ' '.repeat(17 << 20), timeoutMs: 5000 })
  assertOneLine(t, huge, /update --resources \(stdin\) is larger than \d+ bytes/, 'update --resources - with 17 MiB')

  for (const target of ['fifo', '/dev/zero']) {
    const other = join(dir, `bundle-${target.replace(/\W/g, '')}`)
    mkdirSync(other)
    symlinkSync(bundle.rootfs, join(other, 'rootfs'))
    symlinkSync(target === 'fifo' ? fifo : target, join(other, 'config.json'))
    const cid = rt.newId('fifo')
    // Not rt.create: the harness itself reads config.json (for cgroup cleanup) and would block on the FIFO.
    const run = spawnSync(OCIRT, ['--root', rt.root, 'create', '--bundle', other, cid], { encoding: 'utf8', timeout: 3000 })
    const r = { code: run.status, stderr: run.stderr }
    assertOneLine(t, r, /config\.json is not a regular file/, `config.json → ${target}`)
  }
})

// ------------------------------------------------------------------ item 12

t.test('item 12: a 100,000-deep config.json is one line naming the file', async t => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const { rt, bundle, id } = await ocirt(t, undefined, { shared: false, rawConfig: `{"ociVersion": "1.0.2", "annotations": {"x": ${deep}}}` })
  assertOneLine(t, await rt.create(id, bundle.dir), /config\.json: invalid JSON at line 1 column \d+: nested more than 1000 levels deep/, 'create')
})

t.test('item 12: an id of 256 characters and more is one line for every command', async t => {
  const { rt, bundle } = await ocirt(t, undefined, { shared: false })
  const id = 'a'.repeat(300)
  const invocations: Array<[command: string, ...rest: string[]]> = [['create', '--bundle', bundle.dir, id], ['state', id], ['delete', id], ['kill', id], ['start', id]]
  for (const args of invocations) {
    assertOneLine(t, await rt.run(args), /invalid container id "a+\.\.\.": longer than 255 characters/, args[0])
  }
  t.same(rt.rootEntries(), [], 'nothing was made')
})

t.test('item 12: state and list by a user who cannot read the root are one line', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] }, { shared: false })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  chmodSync(join(rt.root, '..'), 0o755)
  for (const args of [['state', id], ['list'], ['delete', '--force', id]]) {
    const r = asOther(OCIRT, ['--root', rt.root, ...args])
    assertOneLine(t, r, /permission denied/, args.join(' '))
  }
  t.equal((await rt.state(id)).status, 'created', 'the container is untouched')
})

t.test('item 12: a rootfs that is a symlink is refused, and nothing is made where it points', async t => {
  const { rt, bundle, id } = await ocirt(t, undefined, { shared: false })
  const elsewhere = tempDir(t)
  rmSync(join(bundle.dir, 'rootfs-link'), { force: true })
  symlinkSync(elsewhere, join(bundle.dir, 'rootfs-link'))
  const spec = bundle.readConfig()
  spec.root!.path = 'rootfs-link'
  bundle.writeConfig(spec)
  const before = snapshotHost()
  assertOneLine(t, await rt.create(id, bundle.dir), /config\.json: \/root\/path: .*refusing a rootfs that is a symlink/, 'create')
  t.same(readdirSync(elsewhere), [], 'nothing was made in the directory it points to')
  await assertNothingLeft(t, rt, id, before)
})

t.test('item 12: a seccomp filter longer than BPF_MAXINSNS is refused, naming /linux/seccomp', async t => {
  // Each rule on a distinct argument value compiles to at least one instruction.
  const syscalls = Array.from({ length: 5000 }, (_, i) => ({ names: ['write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1000 + i, op: 'SCMP_CMP_EQ' }] }))
  const { rt, bundle, id } = await ocirt(t, spec => { spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls } as never }, { shared: false })
  const before = snapshotHost()
  assertOneLine(t, await rt.create(id, bundle.dir, { timeoutMs: 30_000 }), /config\.json: \/linux\/seccomp: the filter compiles to \d+ BPF instructions; the kernel loads at most 4096/, 'create')
  await assertNothingLeft(t, rt, id, before)
})

t.test('item 12: a hook timeout that would overflow is refused, naming it', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.hooks = { prestart: [{ path: '/bin/true', timeout: 9007199254740991 }] } }, { shared: false })
  assertOneLine(t, await rt.create(id, bundle.dir), /config\.json: \/hooks\/prestart\/0\/timeout: must be at most 2147483647 seconds/, 'create')
})

// ------------------------------------------------------------------ item 9

t.test('item 9: ocirt killed right after the init is ready, before it recorded it: the init dies, delete --force leaves nothing', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(async () => { await rt.cleanup() })
  const bundle = bundleFor(t, spec => { spec.process!.args = ['sleep', '60'] }, { shared: false })
  const hostBounding = /^CapBnd:\s*(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  const before = snapshotHost()
  let inWindow = 0
  for (let i = 0; i < 10; i++) {
    const { id, cgroupPath } = idWithCgroup(t, rt, bundle, 'ready-kill')
    const child = spawnTracked(OCIRT, ['--root', rt.root, 'create', '--bundle', bundle.dir, id], { stdio: 'ignore' })
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    // The init drops its bounding set just before it reports ready: kill ocirt the moment it has.
    const deadline = Date.now() + 5000
    let init: number | undefined
    while (init === undefined && Date.now() < deadline && child.exitCode === null) {
      for (const dir of cgroupDirsFor(cgroupPath)) {
        let procs: string[] = []
        try { procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean) } catch { continue }
        for (const pid of procs) {
          try {
            if (/^CapBnd:\s*(\w+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] !== hostBounding) init = Number(pid)
          } catch { /* exited */ }
        }
        break
      }
    }
    child.kill('SIGKILL')
    await exited
    const st = await rt.stateResult(id)
    if (init !== undefined && st.code === 0 && JSON.parse(st.stdout).pid === 0) inWindow++
    const d = await rt.delete(id, true)
    t.equal(d.code, 0, `${id}: delete --force`, { stderr: d.stderr })
    await waitFor(() => { reapOrphans(); return inheritedChildren().filter(p => isAlive(p) && !before.children.has(p)).length === 0 }, 2000)
    t.same({
      processes: inheritedChildren().filter(p => isAlive(p) && !before.children.has(p)),
      cgroups: cgroupDirsFor(cgroupPath),
      stateDirs: readdirSync(rt.root),
    }, { processes: [], cgroups: [], stateDirs: [] }, `${id}: nothing left`)
  }
  t.comment(`item 9: 10 trials, ${inWindow} killed after the init was ready and before its pid was recorded`)
})
