// Issue 15 items 1, 3 and 11: what enters the container. Every process ocirt
// puts into a container starts as the sealed stage, never as dist/ocirt;
// startContainer hooks run inside the container with its restrictions; and
// --preserve-fds passes only fds the caller really passed.
// RUNTIME=/path/to/ocirt runs these against another build (main's fails them).
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TapLike } from '../conformance/lib/harness.js'
import { bundleFor, waitFor } from '../conformance/lib/harness.js'
import type { Bundle, OciSpec } from '../conformance/lib/bundle.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { OCIRT, REPO } from './lib/ocirt.js'

const RUNTIME = process.env.RUNTIME ?? OCIRT

async function fixture (t: TapLike, configure: (spec: OciSpec) => void): Promise<{ rt: Runtime, bundle: Bundle, id: string }> {
  const rt = await Runtime.open(RUNTIME)
  t.teardown(async () => { await rt.cleanup() })
  const bundle = bundleFor(t, configure, { shared: true })
  chmodSync(bundle.dir, 0o755)
  return { rt, bundle, id: rt.newId('stage') }
}

/** test/fixtures/exe-scanner.c, static (it runs in the busybox rootfs), put at /scanner. */
function installScanner (t: TapLike, bundle: Bundle): void {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-exe-scanner-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const binary = join(dir, 'exe-scanner')
  execFileSync('cc', ['-static', '-O2', '-o', binary, join(REPO, 'test', 'fixtures', 'exe-scanner.c')], { stdio: 'inherit' })
  copyFileSync(binary, join(bundle.dir, 'rootfs', 'scanner'))
  chmodSync(join(bundle.dir, 'rootfs', 'scanner'), 0o755)
}

t.test('item 3: every process of ocirt a container can see runs a sealed memfd, during create and during exec (CVE-2019-5736)', async t => {
  const { rt, bundle, id } = await fixture(t, spec => {
    spec.process!.args = ['true']
    // The red team's container: CAP_SYS_PTRACE reads /proc/PID/exe of a non-dumpable process.
    const caps = spec.process!.capabilities!
    for (const set of ['bounding', 'effective', 'permitted']) caps[set] = [...(caps[set] ?? []), 'CAP_SYS_PTRACE']
  })
  installScanner(t, bundle)
  t.equal((await rt.run(['create', '--bundle', bundle.dir, id])).code, 0)
  // While the init waits for start, a scanner exec'd into the container
  // watches every process that appears, and 20 more execs come and go.
  const scan = await rt.run(['exec', '--detach', id, '/scanner', '4000', '/shared/scan.txt'])
  t.equal(scan.code, 0, scan.stderr)
  for (let i = 0; i < 20; i++) {
    const r = await rt.run(['exec', id, 'true'])
    t.equal(r.code, 0, r.stderr)
  }
  const done = await waitFor(() => {
    try { return execFileSync('pgrep', ['-f', '^/scanner 4000 /shared/scan.txt']).length === 0 } catch { return true }
  }, 10_000, 100)
  t.ok(done, 'the scanner finished')
  const lines = readFileSync(join(bundle.shared, 'scan.txt'), 'utf8').split('\n').filter(l => l !== '')
  t.ok(lines.some(l => l.startsWith('1 ')), `the scan saw the waiting init, pid 1: ${lines.join('; ')}`)
  for (const line of lines) {
    t.match(line, /^\d+ \/memfd:ocirt-stage \(deleted\) open=ok write=/, `a sealed memfd, never the host's executable: ${line}`)
    t.notMatch(line, /write=WRITTEN/, `the seals refuse writing: ${line}`)
  }
})

const STATUS_LINES = 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'

t.test('item 1: a startContainer hook naming an image binary gets what the container process gets, no more', async t => {
  const { rt, bundle, id } = await fixture(t, spec => {
    spec.process!.args = ['sh', '-c', `${STATUS_LINES} > /shared/process.txt; cat /proc/self/cgroup > /shared/process-cgroup.txt`]
    spec.process!.noNewPrivileges = true
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }] }
    spec.hooks = {
      startContainer: [{
        path: '/bin/sh',
        args: ['sh', '-c', `cat > /shared/state.json; ${STATUS_LINES} > /shared/hook.txt; cat /proc/self/cgroup > /shared/hook-cgroup.txt`],
      }],
    }
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  const shared = (name: string): string => readFileSync(join(bundle.shared, name), 'utf8')
  t.match(shared('process.txt'), /NoNewPrivs:\t1\n[^]*Seccomp:\t2/, 'the container process: no_new_privs and a filter')
  t.equal(shared('hook.txt'), shared('process.txt'), 'the hook: the same capabilities, no_new_privs and seccomp')
  t.equal(shared('hook-cgroup.txt'), shared('process-cgroup.txt'), 'the hook: the container\'s cgroups')
  const state = JSON.parse(shared('state.json'))
  t.same({ id: state.id, status: state.status, pid: state.pid, bundle: state.bundle }, { id, status: 'created', pid: 1, bundle: bundle.dir }, 'stdin: the state, status created, the pid in the container')
})

t.test('item 1: a failing startContainer hook fails start, naming it, and the program never runs', async t => {
  const { rt, bundle, id } = await fixture(t, spec => {
    spec.process!.args = ['sh', '-c', 'echo ran > /shared/ran']
    spec.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo refused; exit 4'] }] }
  })
  t.equal((await rt.run(['create', '--bundle', bundle.dir, id])).code, 0)
  const start = await rt.run(['start', id])
  t.equal(start.code, 1)
  t.match(start.stderr, /hooks\.startContainer\[0\] \(\/bin\/sh\) exited with status 4: refused/)
  t.throws(() => readFileSync(join(bundle.shared, 'ran')), 'the program did not run')
})

t.test('item 11: --preserve-fds N without N fds from the caller is refused; ocirt\'s own fds never reach the container', async t => {
  const { rt, bundle, id } = await fixture(t, spec => { spec.process!.args = ['sh', '-c', 'ls /proc/self/fd/ > /shared/fds.tmp; mv /shared/fds.tmp /shared/fds; sleep 10'] })
  // Spawned with stdio only: 3 and 4 are free, and the JS runtime fills them (epoll, eventfd).
  const refused = await rt.run(['create', '--preserve-fds', '2', '--bundle', bundle.dir, id])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /flag --preserve-fds 2: unable to stat preserved-fd 3 \(of 3\.\.4\): not passed by the caller \(ocirt's own event loop took its number\)/)
  t.equal((await rt.run(['state', id])).code, 1, 'nothing was created')

  // With the two fds passed, the container gets exactly them.
  const out = openSync(join(bundle.shared, 'a'), 'w')
  const other = openSync(join(bundle.shared, 'b'), 'w')
  const child = spawn(RUNTIME, ['--root', rt.root, 'create', '--preserve-fds', '2', '--bundle', bundle.dir, id], { stdio: ['ignore', 'ignore', 'pipe', out, other] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  closeSync(out)
  closeSync(other)
  t.equal(code, 0, stderr)
  t.equal((await rt.run(['start', id])).code, 0)
  const fds = await waitFor(() => { try { return readFileSync(join(bundle.shared, 'fds'), 'utf8') } catch { return undefined } })
  // ls's own directory fd is the one after them.
  t.same(fds?.trim().split(/\s+/).map(Number).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5], 'stdio, the two passed fds, and ls\'s own')

  const exec = await rt.run(['exec', '--preserve-fds', '1', id, 'true'])
  t.equal(exec.code, 1)
  t.match(exec.stderr, /flag --preserve-fds 1: unable to stat preserved-fd 3 \(of 3\.\.3\)/)
})
