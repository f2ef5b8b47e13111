// The init's own syscalls on the create path (issue 11). Every mount target,
// device and link is resolved inside the root (openat2 RESOLVE_IN_ROOT), but
// not once per component of its path and not again for each step in the
// same directory; the signal dispositions are reset where they differ from
// SIG_DFL, not all 64. The budgets are counted with strace on a real `run`;
// the other tests prove that the cheaper walk still creates what it did,
// through symlinks too, and only inside the rootfs, and that a signal the
// caller ignores is not ignored in the container. The last one checks the
// size of what each create copies before the init exists: the stage executable.
import t from 'tap'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { Runtime } from '../conformance/lib/runtime.js'
import type { TapLike } from '../conformance/lib/harness.js'
import { ocirt, OCIRT, REPO } from './lib/ocirt.js'
import { waitReaped } from '../conformance/lib/reaper.js'

/** A runtime whose every command runs under `strace -f`, writing the calls the tests count (`calls`, strace's -e trace=) to the returned file. */
async function tracedRuntime (t: TapLike, calls = 'openat2,rt_sigaction,sethostname,prctl'): Promise<{ rt: Runtime, trace: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-init-syscalls-'))
  chmodSync(dir, 0o755)
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const trace = join(dir, 'trace')
  const wrapper = join(dir, 'ocirt-traced')
  writeFileSync(wrapper, `#!/bin/sh\nexec strace -f -qq -e trace=${calls} -o ${trace} -- ${OCIRT} "$@"\n`, { mode: 0o755 })
  const rt = await Runtime.open(wrapper)
  t.teardown(async () => { await rt.cleanup() })
  return { rt, trace }
}

t.test('the init opens about one path in the root per step, not one per component', async t => {
  t.equal(spawnSync('strace', ['-V']).status, 0, 'strace is installed (scripts/install-deps.sh)')
  const { rt: plain, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['true'] })
  const dryRun = await plain.ok(['create', '--dry-run', '--bundle', bundle.dir, id])
  const plan = JSON.parse(dryRun.stdout) as { mounts: unknown[], postPivot: unknown[] }
  const steps = plan.mounts.length + plan.postPivot.length

  const { rt, trace } = await tracedRuntime(t)
  const r = await rt.runContainer(rt.newId('lookups'), bundle.dir, { timeoutMs: 60_000 })
  t.equal(r.code, 0, 'runs under strace', { stderr: r.stderr })
  const lines = readFileSync(trace, 'utf8').split('\n')
  const inRoot = lines.filter(line => line.includes('RESOLVE_IN_ROOT'))
  // Before: each missing target was opened from the root once per component,
  // plus its parent again per device (136 opens for the 56 steps of the
  // default config on a cgroup v1 host with 10 hierarchies). Now at most 2 per step.
  t.ok(inRoot.length > 0, 'the trace holds the init\'s in-root opens')
  t.ok(inRoot.length <= 2 * steps, `${inRoot.length} in-root opens for ${steps} steps (at most ${2 * steps})`)

  // The init is the process that sets the hostname; it is ready (and waits
  // for start) at its prctl(PR_SET_PDEATHSIG, 0). Before: 64 rt_sigaction
  // calls, one per signal; now one for each signal the runtime ignores or catches.
  const init = lines.find(line => line.includes('sethostname('))?.split(' ')[0]
  t.ok(init !== undefined, 'the trace holds the init')
  const initLines = lines.filter(line => line.split(' ')[0] === init)
  const ready = initLines.findIndex(line => line.includes('prctl(PR_SET_PDEATHSIG, 0)'))
  t.ok(ready > 0, 'the init reports ready')
  const resets = initLines.slice(0, ready).filter(line => line.includes('rt_sigaction(')).length
  t.ok(resets <= 8, `${resets} rt_sigaction calls before ready (at most 8)`)
})

t.test('a signal the caller ignores is not ignored in the container', async t => {
  const { bundle } = await ocirt(t, spec => { spec.process!.args = ['sleep', '60'] })
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-init-syscalls-'))
  chmodSync(dir, 0o755)
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  // As nohup and some engines do: SIGHUP and SIGUSR1 ignored from the start.
  const wrapper = join(dir, 'ocirt-ignoring')
  writeFileSync(wrapper, `#!/bin/sh\ntrap '' HUP USR1\nexec ${OCIRT} "$@"\n`, { mode: 0o755 })
  const rt = await Runtime.open(wrapper)
  t.teardown(async () => { await rt.cleanup() })
  const id = rt.newId('sigign')
  await rt.ok(['create', '--bundle', bundle.dir, id])
  await rt.ok(['start', id])
  // `exec`: its process goes from BecomeInit's reset straight to execve (the
  // created init resets every signal again after `start`, so `run` alone would not show it).
  // grep itself is the program (a shell would ignore SIGQUIT of its own).
  const r = await rt.run(['exec', id, 'grep', '-E', '^Sig(Ign|Cgt)', '/proc/self/status'])
  t.equal(r.code, 0, 'exec runs', { stderr: r.stderr })
  t.equal(r.stdout, 'SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n', 'the program starts with every signal at SIG_DFL (the runtime had SigIgn 0000000000000201)')
  await rt.ok(['kill', id, 'KILL'])
})

t.test('from start\'s connection to execve the init makes a dozen syscalls, none of them rt_sigaction', async t => {
  const { bundle } = await ocirt(t, spec => { spec.process!.args = ['true'] })
  const { rt, trace } = await tracedRuntime(t, 'all')
  const r = await rt.runContainer(rt.newId('handoff'), bundle.dir, { timeoutMs: 60_000 })
  t.equal(r.code, 0, 'runs under strace', { stderr: r.stderr })
  const lines = readFileSync(trace, 'utf8').split('\n')
  const init = lines.find(line => line.includes('sethostname('))?.split(' ')[0]
  t.ok(init !== undefined, 'the trace holds the init')
  const initCalls = lines.filter(line => line.split(' ')[0] === init && !line.includes(' <... '))
  const accepted = initCalls.findIndex(line => line.includes('accept4('))
  const exec = initCalls.findIndex((line, i) => i > accepted && line.includes('execve('))
  t.ok(accepted > 0 && exec > accepted, 'the init accepts start\'s connection, then execs')
  const between = initCalls.slice(accepted + 1, exec)
  // Before: 64 rt_sigaction calls restoring the dispositions that the wait
  // for start had set (72 calls in all). The terminating signals are now read
  // from a signalfd while blocked, so every disposition is still SIG_DFL.
  t.equal(between.filter(line => line.includes('rt_sigaction(')).length, 0, 'no disposition to restore')
  t.ok(between.length <= 12, `${between.length} syscalls between accept4 and execve (at most 12)`, { calls: between })
  // start removes exec.sock with one unlink, not an lstat first (rmSync's).
  const socketCalls = lines.filter(line => line.includes('/exec.sock') && !/ (bind|connect)\(/.test(line))
  t.same(socketCalls.map(line => / (\w+)\(/.exec(line)?.[1]), ['access', 'unlink'], 'exec.sock after create: the status check\'s access and start\'s unlink', { socketCalls })
})

t.test('a created container\'s init still ends on a terminating signal (128 + N), not on SIGWINCH', async t => {
  const { rt, bundle } = await ocirt(t, spec => { spec.process!.args = ['true'] })
  for (const [signal, status] of [['TERM', 143], ['HUP', 129], ['USR2', 140], ['RTMIN+3', 165]] as const) {
    const id = rt.newId('created-signal')
    await rt.ok(['create', '--bundle', bundle.dir, id])
    const pid = (await rt.state(id)).pid as number
    await rt.ok(['kill', id, 'WINCH'])
    await rt.ok(['kill', id, signal])
    t.same(await waitReaped(pid), { status, signal: null }, `SIG${signal}: the init exits with ${status}, after ignoring SIGWINCH`)
    await rt.ok(['delete', id])
  }
})

t.test('deep missing mount targets and targets through symlinks are created inside the rootfs', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.mounts!.push({ destination: '/made/one/by/one', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] })
    // /dangling points at a directory the image lacks: it is made, inside the root.
    spec.mounts!.push({ destination: '/dangling/sub', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] })
    // /up climbs out with "..": inside the root that is "/", so /up/etc is /etc.
    spec.mounts!.push({ destination: '/up/var-in-root/x', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] })
    spec.process!.args = ['sh', '-c', 'for d in /made/one/by/one /elsewhere/sub /var-in-root/x; do awk -v d=$d \'$5 == d { print d, $9 }\' /proc/self/mountinfo; done']
  }, { shared: false })
  symlinkSync('/elsewhere', join(bundle.rootfs, 'dangling'))
  symlinkSync('../../../../../../..', join(bundle.rootfs, 'up'))
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, '/made/one/by/one tmpfs\n/elsewhere/sub tmpfs\n/var-in-root/x tmpfs\n', 'each target is a tmpfs where the root resolves it')
  t.ok(lstatSync(join(bundle.rootfs, 'made', 'one', 'by', 'one')).isDirectory(), 'the deep target was made in the rootfs')
  t.ok(lstatSync(join(bundle.rootfs, 'elsewhere', 'sub')).isDirectory(), 'the dangling symlink\'s target was made in the rootfs')
  t.ok(lstatSync(join(bundle.rootfs, 'var-in-root', 'x')).isDirectory(), 'the ".." symlink stayed at the root')
  t.notOk(existsSync('/elsewhere'), 'nothing was made on the host')
  t.notOk(existsSync('/var-in-root'), 'nothing was made on the host')
})

t.test('devices in one directory, in a missing one and through a symlinked one', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.linux!.devices = [
      { path: '/dev/one-null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
      { path: '/dev/extra/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
      { path: '/devlink/two-null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
      { path: '/dev/three-null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }
    ]
    // The image's own directory holds /devlink: a symlink to /dev, which the tmpfs covers.
    spec.process!.args = ['sh', '-c', 'for f in one-null extra/zero two-null three-null; do stat -c "%n %t:%T" /dev/$f; done']
  }, { shared: false })
  mkdirSync(join(bundle.rootfs, 'dev'), { recursive: true })
  symlinkSync('dev', join(bundle.rootfs, 'devlink'))
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, '/dev/one-null 1:3\n/dev/extra/zero 1:5\n/dev/two-null 1:3\n/dev/three-null 1:3\n', 'every device is in the container\'s /dev')
})

t.test('the stage that every create copies into a memfd is stripped', async t => {
  // native/stage_image.cc copies dist/ocirt-stage on every create and exec:
  // its symbol table and unused sections were a fifth of the bytes copied.
  const sections = execFileSync('readelf', ['-S', '-W', join(REPO, 'dist', 'ocirt-stage')], { encoding: 'utf8' })
  t.notMatch(sections, /\.symtab/, 'no symbol table')
  t.notMatch(sections, /\.strtab/, 'no string table of symbols')
})
