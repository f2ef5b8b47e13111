// The lifecycle as runc's users drive it: run's exit status and signal
// forwarding, detach, pid files, a created container whose init died,
// kill --all, delete of created and (with --force) running containers.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../conformance/lib/harness.js'
import { spawnTracked } from '../conformance/lib/reaper.js'
import { ocirt, REPO } from './lib/ocirt.js'

t.test('run exits with the program\'s status, and 128+N when a signal kills it', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'exit 42'] })
  t.equal((await rt.run(['run', '--bundle', bundle.dir, id])).code, 42)
  t.same(await rt.list(), [], 'run deletes the container when it exits')
  const killed = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'kill -9 $$'] })
  // pid 1 of a pid namespace cannot SIGKILL itself, so run without one.
  const s = killed.bundle.readConfig()
  s.linux!.namespaces = s.linux!.namespaces!.filter(n => n.type !== 'pid')
  killed.bundle.writeConfig(s)
  t.equal((await killed.rt.run(['run', '--bundle', killed.bundle.dir, killed.id])).code, 137)
})

t.test('run forwards SIGTERM to the container', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready > /shared/ready; while :; do sleep 0.05; done']
  })
  // spawnTracked: the test process is a subreaper whose reaper must leave node's own children alone.
  const child = spawnTracked(rt.binary, ['--root', rt.root, 'run', '--bundle', bundle.dir, id], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  t.teardown(() => { child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(join(bundle.shared, 'ready')), 5000), 'container runs')
  child.kill('SIGTERM')
  const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)))
  t.equal(code, 7)
  t.equal(out, 'got-term\n')
})

t.test('run --detach returns while the container runs; --pid-file names its pid', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] })
  const pidFile = join(bundle.dir, 'pid')
  const r = await rt.run(['run', '--detach', '--pid-file', pidFile, '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  const state = await rt.state(id)
  t.equal(state.status, 'running')
  t.equal(Number(readFileSync(pidFile, 'utf8')), state.pid)
  t.match(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8'), /^sleep\x0030/)
  t.equal((await rt.delete(id, true)).code, 0)
  t.same(await rt.list(), [])
})

t.test('state JSON carries the spec fields and runc\'s extras', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sleep', '30']
    spec.annotations = { 'org.example.key': 'value' }
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const s = await rt.state(id)
  t.equal(s.ociVersion, '1.3.0')
  t.equal(s.id, id)
  t.equal(s.status, 'created')
  t.equal(s.bundle, bundle.dir)
  t.equal(s.rootfs, bundle.rootfs)
  t.same(s.annotations, { 'org.example.key': 'value' })
  t.ok(!Number.isNaN(Date.parse(String(s.created))), 'created is a timestamp')
  t.equal(readFileSync(`/proc/${s.pid}/comm`, 'utf8').trim() !== 'sleep', true, 'process.args has not run yet')
})

t.test('start fails at once (not hanging) when the created init died', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['true'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const { pid } = await rt.state(id)
  process.kill(pid!, 'SIGKILL')
  t.equal((await rt.waitStatus(id, 'stopped')).status, 'stopped')
  const started = Date.now()
  const r = await rt.start(id, { timeoutMs: 5000 })
  t.equal(r.code, 1)
  t.match(r.stderr, /cannot start a container that has stopped/)
  t.ok(Date.now() - started < 2000, 'fails fast')
})

t.test('kill --all signals every process of the container', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sh', '-c', 'trap "" TERM; sleep 100 & sleep 100 & echo up > /shared/up; wait']
  })
  t.equal((await rt.run(['run', '--detach', '--bundle', bundle.dir, id])).code, 0)
  t.ok(await waitFor(() => existsSync(join(bundle.shared, 'up'))))
  const { pid } = await rt.state(id)
  const children = () => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean)
  t.equal(children().length, 2, 'two sleeps')
  t.equal((await rt.kill(id, 'TERM', {})).code, 0)
  t.equal(children().length, 2, 'kill without --all signals only the init (which ignores TERM)')
  t.equal((await rt.run(['kill', '--all', id, 'KILL'])).code, 0)
  t.equal((await rt.waitStatus(id, 'stopped')).status, 'stopped')
})

t.test('signals by name and by number; bad signals are refused', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'trap "echo usr1 > /shared/sig" USR1; trap "echo 12 > /shared/sig2" USR2; echo up > /shared/up; while :; do sleep 0.05; done'] })
  t.equal((await rt.run(['run', '--detach', '--bundle', bundle.dir, id])).code, 0)
  t.ok(await waitFor(() => existsSync(join(bundle.shared, 'up'))))
  t.equal((await rt.kill(id, 'sigusr1')).code, 0)
  t.ok(await waitFor(() => existsSync(join(bundle.shared, 'sig'))), 'SIGUSR1 by name (any case)')
  t.equal((await rt.kill(id, '12')).code, 0)
  t.ok(await waitFor(() => existsSync(join(bundle.shared, 'sig2'))), 'SIGUSR2 by number')
  const bad = await rt.kill(id, 'SIGNOPE')
  t.equal(bad.code, 1)
  t.match(bad.stderr, /unknown signal "SIGNOPE"/)
})

t.test('delete: created is deleted (as runc), running needs --force, missing needs --force', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const { pid } = await rt.state(id)
  t.equal((await rt.delete(id)).code, 0, 'a created container is deleted without --force')
  t.notOk(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z', 'its init is gone')
  t.equal((await rt.run(['run', '--detach', '--bundle', bundle.dir, id])).code, 0)
  const running = await rt.delete(id)
  t.equal(running.code, 1)
  t.match(running.stderr, /is not stopped: running/)
  t.equal((await rt.state(id)).status, 'running', 'a refused delete has no effect')
  t.equal((await rt.delete(id, true)).code, 0)
  t.equal((await rt.delete(id)).code, 1, 'a missing container is an error')
  t.equal((await rt.delete(id, true)).code, 0, 'but not with --force')
})

t.test('node dist/ocirt.mjs runs the same code as the compiled executable', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'echo under-node; exit 3'] })
  const { execFileSync } = await import('node:child_process')
  const version = execFileSync('node', [join(REPO, 'dist', 'ocirt.mjs'), '--version'], { encoding: 'utf8' })
  t.match(version, /^ocirt version /)
  let code = 0
  let out = ''
  try {
    out = execFileSync('node', [join(REPO, 'dist', 'ocirt.mjs'), '--root', rt.root, 'run', '--bundle', bundle.dir, id], { encoding: 'utf8' })
  } catch (e) {
    code = (e as { status: number }).status
    out = (e as { stdout: string }).stdout
  }
  t.equal(code, 3)
  t.equal(out, 'under-node\n')
})

t.test('what a create that was killed midway leaves is "creating" and delete --force removes it', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] }, { shared: false })
  // The state dir as a create leaves it between its first state.json and the spawn of the init.
  const { mkdirSync, writeFileSync } = await import('node:fs')
  mkdirSync(join(rt.root, id))
  writeFileSync(join(rt.root, id, 'state.json'), JSON.stringify({ ociVersion: '1.3.0', id, pid: 0, bundle: bundle.dir, rootfs: bundle.rootfs, created: new Date().toISOString(), initStartTime: '', config: bundle.spec, owner: '' }))
  t.equal((await rt.state(id)).status, 'creating')
  const plain = await rt.delete(id)
  t.equal(plain.code, 1)
  t.match(plain.stderr, /is being created/)
  t.equal((await rt.delete(id, true)).code, 0)
  t.same(await rt.list(), [])
})

t.test('a failing hook is named in the error, with its status and what it printed', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['true']
    spec.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; echo boom >&2; exit 3'] }] }
  }, { shared: false })
  const r = await rt.create(id, bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /hooks\.createRuntime\[0\] \(\/bin\/sh\) exited with status 3: boom/)
  t.same(await rt.list(), [], 'nothing is left')
  const slow = await ocirt(t, spec => {
    spec.process!.args = ['true']
    spec.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '20'], timeout: 1 }] }
  }, { shared: false })
  const started = Date.now()
  const s = await slow.rt.create(slow.id, slow.bundle.dir)
  t.equal(s.code, 1)
  t.match(s.stderr, /hooks\.prestart\[0\] \(\/bin\/sleep\) did not finish within its timeout of 1s and was killed/)
  t.ok(Date.now() - started < 5000, 'the timeout is enforced')
})
