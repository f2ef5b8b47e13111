/**
 * runtime.md#runtimeKill.
 *
 * The container's shell traps signals and records them in /shared/sig; it is
 * PID 1 of its pid namespace, so a signal without a handler would be ignored
 * and only a delivered, handled signal leaves a trace.
 */
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectDeviation, openRuntime, setup, shell, sleep, waitFor, waitForFile, type Fixture, type TapLike } from './lib/harness.js'
import { exitStatusOf, isAlive, waitReaped } from './lib/reaper.js'
import { type OciSpec } from './lib/bundle.js'

const TRAPPER = [
  'trap "echo HUP >> /shared/sig" HUP',
  'trap "echo USR1 >> /shared/sig" USR1',
  'trap "echo USR2 >> /shared/sig" USR2',
  'trap "echo TERM >> /shared/sig; exit 3" TERM',
  'echo ready > /shared/ready',
  'while :; do sleep 0.02; done'
].join('\n')

/** Create + start the trapping container; resolves once its traps are installed. */
async function startTrapper (t: TapLike, configure?: (spec: OciSpec) => void): Promise<Fixture & { pid: number }> {
  const f = await setup(t, spec => { shell(TRAPPER)(spec); configure?.(spec) })
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create succeeds')
  t.equal((await f.rt.start(f.id)).code, 0, 'start succeeds')
  t.equal(await waitForFile(join(f.bundle.shared, 'ready')), 'ready\n', 'the traps are installed')
  const s = await f.rt.state(f.id)
  return { ...f, pid: s.pid as number }
}

const sigLog = (f: Fixture): string => existsSync(join(f.bundle.shared, 'sig')) ? readFileSync(join(f.bundle.shared, 'sig'), 'utf8') : ''

t.test('runtime.md#runtimeKill: "This operation MUST send the specified signal to the container process"', async t => {
  const f = await startTrapper(t)
  const send = async (signal: string, expectLog: string): Promise<void> => {
    const r = await f.rt.kill(f.id, signal)
    t.equal(r.code, 0, `kill ${signal} exits 0`, { stderr: r.stderr })
    t.equal(await waitFor(() => sigLog(f) === expectLog ? expectLog : undefined), expectLog, `kill ${signal}: the container's handler ran`, { log: sigLog(f) })
  }
  await send('USR1', 'USR1\n') // by name without SIG
  await send('SIGUSR2', 'USR1\nUSR2\n') // by name with SIG
  await send('1', 'USR1\nUSR2\nHUP\n') // by number (SIGHUP)
  t.equal((await f.rt.state(f.id)).status, 'running', 'the handled signals did not stop it')
  await send('TERM', 'USR1\nUSR2\nHUP\nTERM\n')
  await f.rt.waitStatus(f.id, 'stopped')
  t.same(await waitReaped(f.pid), { status: 3, signal: null }, 'the TERM handler\'s `exit 3` is the container process\'s exit status')
})

t.test('runtime.md#runtimeKill: signal by number 15 (SIGTERM)', async t => {
  const f = await startTrapper(t)
  t.equal((await f.rt.kill(f.id, '15')).code, 0, 'kill 15 exits 0')
  await f.rt.waitStatus(f.id, 'stopped')
  t.equal(sigLog(f), 'TERM\n', 'the TERM handler ran')
})

t.test('runtime.md#runtimeKill: SIGKILL ends the container process', async t => {
  const f = await startTrapper(t)
  t.equal((await f.rt.kill(f.id, 'KILL')).code, 0, 'kill KILL exits 0')
  await f.rt.waitStatus(f.id, 'stopped')
  t.same(await waitReaped(f.pid), { status: null, signal: 9 }, 'the container process died of signal 9')
  t.equal(sigLog(f), '', 'no handler ran (SIGKILL cannot be caught)')
})

t.test('runc CLI: `kill ID` without a signal sends SIGTERM', async t => {
  const f = await startTrapper(t)
  t.equal((await f.rt.run(['kill', f.id])).code, 0, 'kill exits 0')
  await f.rt.waitStatus(f.id, 'stopped')
  t.equal(sigLog(f), 'TERM\n', 'the TERM handler ran')
})

t.test('runtime.md#runtimeKill: signalling a CREATED container is allowed and reaches its process', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo ran > /shared/marker'))
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const pid = (await rt.state(id)).pid as number
  const r = await rt.kill(id, 'KILL')
  t.equal(r.code, 0, 'kill KILL of a created container exits 0', { stderr: r.stderr })
  await rt.waitStatus(id, 'stopped')
  t.same(await waitReaped(pid), { status: null, signal: 9 }, 'its process died of SIGKILL')
  t.notOk(existsSync(join(bundle.shared, 'marker')), 'the user program never ran')
})

t.test('runtime.md#runtimeKill: kill of a STOPPED container "MUST have no effect on the container and MUST generate an error"', async t => {
  const { rt, bundle, id } = await setup(t, shell('exit 0'))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0)
  const before = await rt.waitStatus(id, 'stopped')
  for (const sig of ['TERM', 'KILL']) {
    t.not((await rt.kill(id, sig)).code, 0, `kill ${sig} of a stopped container fails`)
  }
  const after = await rt.state(id)
  t.equal(after.status, 'stopped', 'still stopped')
  t.same({ ...after, pid: undefined }, { ...before, pid: undefined }, 'state unchanged')
  t.equal((await rt.delete(id)).code, 0, 'and still deletable')
})

t.test('runtime.md#runtimeKill / #runtimeErrors: an invalid signal MUST generate an error and leave the container as it was', async t0 => {
  const t = expectDeviation(t0, 'kill-invalid-signal')
  const f = await startTrapper(t)
  for (const sig of ['NOSUCHSIGNAL', 'SIGFOO', '-5', '99999']) {
    t.not((await f.rt.kill(f.id, sig)).code, 0, `kill ${sig} fails`)
  }
  await sleep(100)
  const s = await f.rt.state(f.id)
  t.equal(s.status, 'running', 'still running')
  t.equal(s.pid, f.pid, 'same pid')
  t.ok(isAlive(f.pid), 'the process is alive')
  t.equal(exitStatusOf(f.pid), undefined, 'and has not exited')
  t.equal(sigLog(f), '', 'no signal reached it')
  t.equal((await f.rt.kill(f.id, 'TERM')).code, 0, 'a valid signal still works')
  await f.rt.waitStatus(f.id, 'stopped')
  t.equal(sigLog(f), 'TERM\n')
})

t.test('runtime.md#runtimeKill: kill of a container that does not exist MUST generate an error', async t => {
  const rt = await openRuntime(t)
  t.not((await rt.kill(rt.newId('missing'), 'TERM')).code, 0, 'kill fails')
})

t.test('runtime.md#runtimeKill: "This operation MUST generate an error if it is not provided the container ID"', async t => {
  const f = await startTrapper(t)
  t.not((await f.rt.run(['kill'])).code, 0, '`kill` with no arguments fails')
  await sleep(100)
  t.equal(sigLog(f), '', 'the running container got no signal')
  t.equal((await f.rt.state(f.id)).status, 'running')
})
