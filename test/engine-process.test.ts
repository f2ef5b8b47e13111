// Issue 12, the process and CLI items: ocirt does with each value what runc
// 1.1.5 does, as Docker, buildah and podman rely on it. The runtime is
// RUNTIME (default: this checkout's dist/ocirt), so `RUNTIME=/usr/sbin/runc`
// runs the same tests against runc for comparison.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRuntime, setup, type TapLike } from '../conformance/lib/harness.js'
import type { OciSpec } from '../conformance/lib/bundle.js'
import type { Runtime } from '../conformance/lib/runtime.js'
import { OCIRT } from './lib/ocirt.js'

process.env.RUNTIME ??= OCIRT

/** /proc/PID/stat fields 4, 5 and 6 (after the parenthesized comm): ppid, pgrp, session. */
function sessionOf (stat: string): { pid: number, pgrp: number, session: number } {
  const pid = Number(stat.slice(0, stat.indexOf(' ')))
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { pid, pgrp: Number(pgrp), session: Number(session) }
}

async function running (t: TapLike, configure?: (spec: OciSpec) => void): Promise<{ rt: Runtime, id: string, pid: number, shared: string, bundle: string }> {
  const f = await setup(t, spec => { spec.process!.args = ['sleep', '60']; configure?.(spec) })
  const r = await f.rt.run(['run', '--detach', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, r.stderr)
  const { pid } = await f.rt.state(f.id)
  return { rt: f.rt, id: f.id, pid: pid!, shared: f.bundle.shared, bundle: f.bundle.dir }
}

t.test('issue 12 item 3: the init and every exec\'d process lead their own session and process group (runc\'s setsid)', async t => {
  // conmon kills the container's process group on `podman run --timeout`: that group must not be conmon's.
  const { rt, id, pid } = await running(t)
  const init = sessionOf(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  t.same(init, { pid, pgrp: pid, session: pid }, 'the init (host view): sid == pgid == pid')
  t.not(init.session, sessionOf(readFileSync('/proc/self/stat', 'utf8')).session, 'not the caller\'s session')

  const r = await rt.run(['exec', id, 'sh', '-c', 'cat /proc/$$/stat'])
  t.equal(r.code, 0, r.stderr)
  const exec = sessionOf(r.stdout.trim())
  t.same(exec, { pid: exec.pid, pgrp: exec.pid, session: exec.pid }, 'the exec\'d process (container view): sid == pgid == pid')
})

t.test('issue 12 item 7: additionalGids are de-duplicated as runc does (first occurrence kept, the primary gid too when listed)', async t => {
  const f = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', 'grep ^Groups: /proc/self/status']
    spec.process!.user = { uid: 0, gid: 3, additionalGids: [5, 3, 5, 0, 3, 7] }
  })
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, r.stderr)
  // The kernel sorts the list it is given (groups_sort) but keeps duplicates.
  t.equal(r.stdout.trim().split(/\s+/).slice(1).join(' '), '0 3 5 7', 'runc 1.1.5 shows Groups: 0 3 5 7')

  const { rt, id } = await running(t)
  const e = await rt.run(['exec', '--additional-gids', '9', '--additional-gids', '8', '--additional-gids', '9', id, 'sh', '-c', 'grep ^Groups: /proc/self/status'])
  t.equal(e.code, 0, e.stderr)
  t.equal(e.stdout.trim().split(/\s+/).slice(1).join(' '), '8 9', 'exec --additional-gids (docker exec --group-add): each gid once')
})

t.test('issue 12 item 15: each hook runs in runc\'s working directory; a createContainer hook writing a relative path writes into the rootfs, not the host\'s /', async t => {
  const name = `ocirt-hook-cwd-${process.pid}-${Date.now()}`
  // What this test would leave at the host's / if the hook ran there (today's main does).
  const onHost = join('/tmp', name)
  t.teardown(() => { rmSync(onHost, { force: true }) })
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0']; spec.process!.cwd = '/bin' })
  const spec = f.bundle.readConfig()
  const pwdHook = (kind: string, log: string, extra = ''): { path: string, args: string[] } =>
    ({ path: '/bin/busybox', args: ['sh', '-c', `cat > /dev/null; echo "${kind} $(pwd)" >> ${log}${extra}`] })
  const log = join(f.bundle.shared, 'log')
  spec.hooks = {
    prestart: [pwdHook('prestart', log)],
    createRuntime: [pwdHook('createRuntime', log)],
    createContainer: [pwdHook('createContainer', log, `; echo hook > ./tmp/${name}`)],
    startContainer: [pwdHook('startContainer', '/shared/log')],
    poststart: [pwdHook('poststart', log)],
  }
  f.bundle.writeConfig(spec)
  // From another directory than the bundle: runc chdirs to the bundle itself.
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id], { cwd: '/' })
  t.equal(r.code, 0, r.stderr)
  const cwds = Object.fromEntries(readFileSync(log, 'utf8').trim().split('\n').map(l => l.split(' ') as [string, string]))
  t.same(cwds, {
    prestart: f.bundle.dir,
    createRuntime: f.bundle.dir,
    createContainer: f.bundle.rootfs,
    startContainer: '/bin',
    poststart: f.bundle.dir,
  }, 'runc 1.1.5: the bundle, the rootfs (before pivot_root), process.cwd, the bundle')
  t.equal(readFileSync(join(f.bundle.rootfs, 'tmp', name), 'utf8'), 'hook\n', 'createContainer wrote ./tmp/NAME into the rootfs')
  t.notOk(existsSync(onHost), 'and nothing at the host\'s /tmp')
})

/** A static program that makes each syscall number it is given and prints "NR ERRNO" (0: it succeeded). */
const SYSCALL_PROBE = `
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long nr = atol(argv[i]);
    errno = 0;
    long r = syscall(nr, -1L, 0L, 0L, 0L, 0L, 0L);
    printf("%ld %d\\n", nr, r < 0 ? errno : 0);
  }
  return 0;
}
`

t.test('issue 12 item 10: under a profile that predates a syscall, that syscall gets ENOSYS (runc\'s stub), an unnamed older one the default errno', async t => {
  // x86_64 numbers from the kernel headers: the profile names every syscall
  // up to pidfd_open (434) but pidfd_send_signal (424); clone3 (435) and
  // close_range (436) came later.
  const header = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8')
  const numbers = new Map([...header.matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map(m => [m[1], Number(m[2])]))
  t.equal(numbers.get('clone3'), 435, 'the x86_64 table')
  const named = [...numbers].filter(([name, nr]) => nr <= 434 && name !== 'pidfd_send_signal').map(([name]) => name)
  const f = await setup(t, spec => {
    spec.process!.args = ['/probe', '435', '436', '424', '39']
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: named, action: 'SCMP_ACT_ALLOW' }],
    }
  })
  const source = join(f.bundle.dir, 'probe.c')
  writeFileSync(source, SYSCALL_PROBE)
  execFileSync('cc', ['-static', '-O2', '-o', join(f.bundle.rootfs, 'probe'), source])
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, r.stderr)
  const errnos = Object.fromEntries(r.stdout.trim().split('\n').map(l => l.split(' ').map(Number) as [number, number]))
  t.equal(errnos[435], 38, 'clone3: ENOSYS, so glibc falls back to clone (runc 1.1.5 too)')
  t.equal(errnos[436], 38, 'close_range: ENOSYS')
  t.equal(errnos[424], 1, 'pidfd_send_signal, older than the newest named syscall: the default errno, EPERM')
  t.equal(errnos[39], 0, 'getpid, allowed: succeeds')
})

t.test('issue 12 item 15: `kill ID 0` checks that the container is alive and delivers nothing (runc)', async t => {
  const { rt, id, pid } = await running(t)
  const r = await rt.kill(id, '0')
  t.equal(r.code, 0, `running: exit 0 ${r.stderr}`)
  t.equal(r.stderr, '', 'and says nothing')
  t.equal((await rt.state(id)).status, 'running', 'the container still runs')
  t.ok(existsSync(`/proc/${pid}`), 'its init too')
  t.equal((await rt.kill(id, 'KILL')).code, 0)
  await rt.waitStatus(id, 'stopped')
  t.not((await rt.kill(id, '0')).code, 0, 'stopped: non-zero')
})

t.test('issue 12 item 15: `exec -t` without --console-socket proxies the terminal, as `run` does (runc)', async t => {
  const { rt, id } = await running(t)
  // From a terminal, as a user types it (runc needs one: it proxies its own /dev/tty); script(1) makes it.
  const command = [rt.binary, '--root', rt.root, 'exec', '-t', id, 'sh', '-c', 'read line; echo "got $line on $(tty)"; exit 3']
  const r = spawnSync('script', ['-qec', command.map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' '), '/dev/null'], { input: 'hello\n', encoding: 'utf8', timeout: 15_000 })
  t.equal(r.status, 3, 'the process\'s exit status', { output: r.stdout })
  t.match(r.stdout.replace(/\r/g, ''), /got hello on \/dev\/pts\/\d+\n/, 'our stdin reached it and its pty output reached our stdout')
  // And without a terminal of our own (a client's pipes), ocirt still proxies.
  const piped = await rt.run(['exec', '-t', id, 'sh', '-c', 'read line; echo "got $line on $(tty)"; exit 4'], { input: 'hello\n' })
  if (rt.is('runc')) t.comment(`runc without a terminal on its stdin: exit ${piped.code}, ${piped.stderr.trim()}`)
  else {
    t.equal(piped.code, 4, piped.stderr)
    t.match(piped.stdout.replace(/\r/g, ''), /got hello on \/dev\/pts\/\d+\n/)
  }
})

t.test('issue 12 item 15: `spec` writes runc\'s default config.json (terminal true), JSON-equal but for the spec version', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-spec-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const rt = await openRuntime(t)
  for (const flags of [[], ['--rootless']]) {
    const ours = join(dir, `ours${flags.join('')}`)
    const runcs = join(dir, `runc${flags.join('')}`)
    mkdirSync(ours)
    mkdirSync(runcs)
    const r = await rt.run(['spec', ...flags, '--bundle', ours])
    t.equal(r.code, 0, r.stderr)
    execFileSync('/usr/sbin/runc', ['spec', ...flags, '--bundle', runcs])
    const mine = JSON.parse(readFileSync(join(ours, 'config.json'), 'utf8')) as Record<string, unknown>
    const reference = JSON.parse(readFileSync(join(runcs, 'config.json'), 'utf8')) as Record<string, unknown>
    // Each runtime writes the spec version it implements (runc 1.1.5: 1.0.2-dev).
    t.type(mine.ociVersion, 'string')
    t.same({ ...mine, ociVersion: undefined }, { ...reference, ociVersion: undefined }, `spec ${flags.join(' ')}: as runc spec ${flags.join(' ')}`)
  }
})

t.test('issue 12 item 15: `exec --pid-file /missing/dir/f` fails with one line, exit non-zero, and leaves no process (runc)', async t => {
  const { rt, id, pid } = await running(t)
  const before = (await rt.run(['ps', '--format', 'json', id])).stdout
  const r = await rt.run(['exec', '--pid-file', '/missing/dir/f', id, 'sleep', '100'])
  t.not(r.code, 0, 'exit non-zero')
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line', { stderr: r.stderr })
  t.notMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace')
  t.match(r.stderr, /\/missing\/dir/, 'it names the path')
  t.same(JSON.parse((await rt.run(['ps', '--format', 'json', id])).stdout), JSON.parse(before), 'only the init is left in the container')
  t.ok(existsSync(`/proc/${pid}`), 'which still runs')
})

t.test('issue 12 item 15: unexpected errors print one line, never a stack trace', async t => {
  const { rt, id } = await running(t)
  for (const args of [['exec', '--process', '/nonexistent/process.json', id], ['exec', '--process', '/etc', id], ['--root', '/etc/passwd', 'list']]) {
    const r = await rt.run(args, { noRoot: args[0] === '--root' })
    t.not(r.code, 0, `${args.join(' ')}: exit non-zero`)
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`, { stderr: r.stderr })
    t.notMatch(r.stderr, /internal error|\n\s+at /, `${args.join(' ')}: no stack trace`)
  }
})
