// ocirt exec (runc's CLI): a new process joins every namespace of a running
// container and gets the container's (or the given) process settings.
import t from 'tap'
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../conformance/lib/harness.js'
import { spawnTracked } from '../conformance/lib/reaper.js'
import type { Runtime } from '../conformance/lib/runtime.js'
import { ocirt } from './lib/ocirt.js'

async function running (t: Parameters<typeof ocirt>[0], configure?: Parameters<typeof ocirt>[1]): Promise<{ rt: Runtime, id: string, pid: number, shared: string }> {
  const f = await ocirt(t, spec => { spec.process!.args = ['sleep', '60']; configure?.(spec) })
  const r = await f.rt.run(['run', '--detach', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, r.stderr)
  const { pid } = await f.rt.state(f.id)
  return { rt: f.rt, id: f.id, pid: pid!, shared: f.bundle.shared }
}

t.test('the process joins every namespace of the container and its exit status comes back', async t => {
  const { rt, id, pid } = await running(t)
  const r = await rt.run(['exec', id, 'sh', '-c', 'for n in pid net mnt ipc uts; do echo "$n $(readlink /proc/self/ns/$n)"; done; exit 5'])
  t.equal(r.code, 5, r.stderr)
  for (const line of r.stdout.trim().split('\n')) {
    const [name, link] = line.split(' ')
    t.equal(link, readlinkSync(`/proc/${pid}/ns/${name}`), `${name} namespace is the container's`)
  }
})

t.test('flags override the container\'s process: env, cwd, user, groups, capabilities', async t => {
  const { rt, id } = await running(t)
  const r = await rt.run(['exec', '--env', 'A=1', '-e', 'B=2', '--cwd', '/tmp', '--user', '1000:1001', '-g', '1002', '--cap', 'CAP_SYS_ADMIN', id,
    'sh', '-c', 'echo "$A$B"; pwd; id -u; id -g; id -G; grep CapBnd /proc/self/status'])
  t.equal(r.code, 0, r.stderr)
  const [ab, cwd, uid, gid, groups, capBnd] = r.stdout.trim().split('\n')
  t.equal(ab, '12')
  t.equal(cwd, '/tmp')
  t.equal(uid, '1000')
  t.equal(gid, '1001')
  t.equal(groups, '1001 1002')
  t.ok((BigInt(`0x${capBnd?.split(/\s+/)[1]}`) & (1n << 21n)) !== 0n, 'CAP_SYS_ADMIN is in the bounding set')
})

t.test('--process FILE, validated like config.json', async t => {
  const { rt, id, shared } = await running(t)
  const good = join(shared, 'process.json')
  writeFileSync(good, JSON.stringify({ args: ['sh', '-c', 'echo from-process-json; echo $X'], cwd: '/', env: ['X=y', 'PATH=/bin'], user: { uid: 0, gid: 0 } }))
  const r = await rt.run(['exec', '--process', good, id])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'from-process-json\ny\n')
  const bad = join(shared, 'bad.json')
  writeFileSync(bad, JSON.stringify({ args: ['true'], cwd: 'relative' }))
  const b = await rt.run(['exec', '--process', bad, id])
  t.equal(b.code, 1)
  t.match(b.stderr, /bad\.json: \/cwd/)
})

t.test('--detach and --pid-file; the detached process runs in the container', async t => {
  const { rt, id, pid, shared } = await running(t)
  const pidFile = join(shared, 'exec.pid')
  const r = await rt.run(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30'])
  t.equal(r.code, 0, r.stderr)
  const execPid = Number(readFileSync(pidFile, 'utf8'))
  t.match(readFileSync(`/proc/${execPid}/cmdline`, 'utf8'), /^sleep\x0030/)
  t.equal(readlinkSync(`/proc/${execPid}/ns/pid`), readlinkSync(`/proc/${pid}/ns/pid`))
})

t.test('the container\'s seccomp filter applies to exec\'d processes', async t => {
  const { rt, id } = await running(t, spec => {
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }
  })
  const r = await rt.run(['exec', id, 'sh', '-c', 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1 || true'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /Seccomp:\s+2/)
  t.match(r.stdout, /Operation not permitted/)
})

t.test('errors: a missing program (runc\'s words), a stopped container, no command', async t => {
  const { rt, id, pid } = await running(t)
  const missing = await rt.run(['exec', id, 'no-such-program'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /exec: "no-such-program": executable file not found in \$PATH/)
  const none = await rt.run(['exec', id])
  t.equal(none.code, 1)
  t.match(none.stderr, /needs a command/)
  process.kill(pid, 'SIGKILL')
  await rt.waitStatus(id, 'stopped')
  const stopped = await rt.run(['exec', id, 'true'])
  t.equal(stopped.code, 1)
  t.match(stopped.stderr, /cannot exec in a stopped container/)
})

t.test('signals to ocirt exec reach the process', async t => {
  const { rt, id, shared } = await running(t)
  const child = spawnTracked(rt.binary, ['--root', rt.root, 'exec', id, 'sh', '-c', 'trap "exit 9" TERM; touch /shared/up; while :; do sleep 0.05; done'], { stdio: 'ignore' })
  t.teardown(() => { child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(join(shared, 'up'))))
  child.kill('SIGTERM')
  const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)))
  t.equal(code, 9)
})

t.test('ps lists the container\'s processes: host pids as JSON, or ps(1) lines', async t => {
  const { rt, id, pid } = await running(t)
  t.equal((await rt.run(['exec', '--detach', id, 'sleep', '31'])).code, 0)
  const json = await rt.run(['ps', '--format', 'json', id])
  t.equal(json.code, 0, json.stderr)
  const pids = JSON.parse(json.stdout) as number[]
  t.equal(pids.length, 2, 'the init and the exec\'d process')
  t.ok(pids.includes(pid))
  const other = pids.find(p => p !== pid)!
  t.match(readFileSync(`/proc/${other}/cmdline`, 'utf8'), /^sleep\x0031/)
  const table = await rt.run(['ps', id, '-o', 'pid,args'])
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trim().split('\n')
  t.match(lines[0], /PID/)
  t.equal(lines.length, 3, 'the header and the two processes')
  t.match(table.stdout, /sleep 31/)
})
