// linux.seccomp: the filter is compiled with libseccomp and loaded by the
// init; what the program sees proves it (its /proc/self/status, the errno a
// denied syscall returns, the signal a KILL action sends).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OciSpec } from '../conformance/lib/bundle.js'
import { REPO, runShell } from './lib/ocirt.js'

interface SyscallRule { names: string[], action: string, errnoRet?: number, args?: Array<{ index: number, value: number, op: string }> }

/** A profile that allows everything but the given rules. */
const allowAllBut = (syscalls: SyscallRule[]) => (spec: OciSpec): void => {
  spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls }
}

const statusField = (text: string, field: string): string => (new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text) ?? [])[1] ?? ''

t.test('a filter is loaded: /proc/self/status shows seccomp mode 2 with one filter', async t => {
  const r = await runShell(t, 'cat /proc/self/status', allowAllBut([{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }]))
  t.equal(r.code, 0, r.stderr)
  t.equal(statusField(r.stdout, 'Seccomp'), '2')
  t.equal(statusField(r.stdout, 'Seccomp_filters'), '1')
})

t.test('SCMP_ACT_ERRNO returns the configured errno (and EPERM by default)', async t => {
  const r = await runShell(t, 'mkdir /tmp/a 2>&1; touch /tmp/b 2>&1; ln -s x /tmp/c 2>&1; echo done', allowAllBut([
    { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 28 },
    { names: ['symlink', 'symlinkat'], action: 'SCMP_ACT_ERRNO' },
  ]))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /mkdir: can't create directory '\/tmp\/a': No space left on device/)
  t.match(r.stdout, /ln: \/tmp\/c: Operation not permitted/)
  t.match(r.stdout, /done\n$/, 'other syscalls still work (touch)')
})

t.test('SCMP_ACT_KILL_PROCESS kills with SIGSYS', async t => {
  const r = await runShell(t, 'exec uname -a', allowAllBut([{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }]))
  t.equal(r.code, 128 + 31, 'run reports death by SIGSYS (31)')
})

t.test('argument conditions: kill(pid, 0) denied, kill(pid, SIGCONT) allowed', async t => {
  const r = await runShell(t, 'kill -0 $$ 2>&1 && echo zero-ok; kill -CONT $$ && echo cont-ok', allowAllBut([
    { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
  ]))
  t.equal(r.code, 0, r.stderr)
  t.notMatch(r.stdout, /zero-ok/, 'signal 0 was refused')
  t.match(r.stdout, /cont-ok/, 'SIGCONT went through')
})

t.test('podman\'s default profile, with defaultErrnoRet, and noNewPrivileges false', async t => {
  const podman = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'configs', 'podman-4.3-run.json'), 'utf8')) as OciSpec
  const seccomp = podman.linux!.seccomp as { defaultErrnoRet?: number, syscalls: SyscallRule[] }
  // Take mkdir out of its allow list, so that the default action (ERRNO, here ENOSYS) decides.
  seccomp.syscalls = seccomp.syscalls.map(r => ({ ...r, names: r.names.filter(n => n !== 'mkdir' && n !== 'mkdirat') })).filter(r => r.names.length > 0)
  seccomp.defaultErrnoRet = 38
  const r = await runShell(t, 'cat /proc/self/status; mkdir /tmp/x 2>&1; echo end', spec => {
    spec.linux!.seccomp = seccomp
    // Without no_new_privs the filter is loaded before the capabilities are dropped.
    spec.process!.noNewPrivileges = false
  })
  t.equal(r.code, 0, r.stderr)
  t.equal(statusField(r.stdout, 'Seccomp'), '2')
  t.equal(statusField(r.stdout, 'NoNewPrivs'), '0')
  t.match(r.stdout, /mkdir: can't create directory '\/tmp\/x': Function not implemented\nend\n$/)
})

t.test('a seccomp agent that cannot be reached fails create, naming listenerPath (conformance/seccomp-notify.test.ts has the agent)', async t => {
  const notify = await runShell(t, 'true', spec => {
    allowAllBut([{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }])(spec)
    ;(spec.linux!.seccomp as { listenerPath?: string }).listenerPath = '/run/ocirt-test-no-such-agent.sock'
  })
  t.equal(notify.code, 1)
  t.match(notify.stderr, /config\.json \/linux\/seccomp\/listenerPath: sending the seccomp listener to \/run\/ocirt-test-no-such-agent\.sock: connect: No such file or directory/)
})
