/**
 * runtime.md#runtimeStart.
 */
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNothingLeft, bundleFor, openRuntime, setup, shell, sleep, snapshotHost, waitForFile, WAIT_GO } from './lib/harness.js'
import { RuntimeTimeout } from './lib/runtime.js'
import { isAlive, isOurChild, waitReaped } from './lib/reaper.js'

t.test('runtime.md#runtimeStart: "This operation MUST run the user-specified program as specified by process"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', 'echo "$0 $1 $GREETING" > /shared/out', 'arg0', 'arg1']
    spec.process!.env = ['PATH=/bin', 'GREETING=hello']
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const r = await rt.start(id)
  t.equal(r.code, 0, 'start exits 0', { stderr: r.stderr })
  t.equal(await waitForFile(join(bundle.shared, 'out')), 'arg0 arg1 hello\n', 'the program ran with its args and env')
})

t.test('runtime.md#runtimeStart: start of a RUNNING container "MUST have no effect on the container and MUST generate an error"', async t => {
  const { rt, bundle, id } = await setup(t, shell(`echo x >> /shared/count; ${WAIT_GO}; exit 0`))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0, 'first start succeeds')
  t.equal(await waitForFile(join(bundle.shared, 'count')), 'x\n', 'the program ran once')
  const before = await rt.state(id)
  t.equal(before.status, 'running')
  const again = await rt.start(id)
  t.not(again.code, 0, 'second start fails')
  await sleep(200)
  t.equal(readFileSync(join(bundle.shared, 'count'), 'utf8'), 'x\n', 'the program did not run again')
  const after = await rt.state(id)
  t.equal(after.status, 'running', 'still running')
  t.equal(after.pid, before.pid, 'same pid')
  t.ok(isAlive(before.pid as number), 'the process is alive')
  writeFileSync(join(bundle.shared, 'go'), '')
  await rt.waitStatus(id, 'stopped')
})

t.test('runtime.md#runtimeStart: start of a STOPPED container "MUST have no effect on the container and MUST generate an error"', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo x >> /shared/count'))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0, 'first start succeeds')
  await rt.waitStatus(id, 'stopped')
  t.equal(readFileSync(join(bundle.shared, 'count'), 'utf8'), 'x\n', 'the program ran once')
  const again = await rt.start(id)
  t.not(again.code, 0, 'start of the stopped container fails')
  await sleep(200)
  t.equal(readFileSync(join(bundle.shared, 'count'), 'utf8'), 'x\n', 'the program did not run again')
  t.equal((await rt.state(id)).status, 'stopped', 'still stopped')
  t.equal((await rt.delete(id)).code, 0, 'and still deletable')
})

t.test('runtime.md#runtimeStart: start of a created container whose process was killed fails (and does not hang)', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo ran > /shared/marker'))
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const pid = (await rt.state(id)).pid as number
  t.ok(isOurChild(pid), 'the container process was re-parented to us (subreaper)')
  process.kill(pid, 'SIGKILL')
  const exit = await waitReaped(pid)
  t.equal(exit?.signal, 9, 'the container process died of SIGKILL')
  let code: number | null = null
  try {
    code = (await rt.start(id, { timeoutMs: 8000 })).code
  } catch (err) {
    if (!(err instanceof RuntimeTimeout)) throw err
    t.fail(err.message)
  }
  t.not(code, 0, 'start fails')
  await sleep(100)
  t.notOk(existsSync(join(bundle.shared, 'marker')), 'the user program never ran')
  const s = await rt.stateResult(id)
  if (s.code === 0) t.equal(JSON.parse(s.stdout).status, 'stopped', 'the container is reported stopped')
  else t.pass('the container no longer exists')
})

t.test('runtime.md#runtimeStart: start of a container that does not exist MUST generate an error', async t => {
  const rt = await openRuntime(t)
  t.not((await rt.start(rt.newId('missing'))).code, 0, 'start fails')
})

t.test('runtime.md#runtimeStart: "This operation MUST generate an error if it is not provided the container ID"', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo ran > /shared/marker'))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.not((await rt.run(['start'])).code, 0, '`start` without an ID fails')
  await sleep(100)
  t.notOk(existsSync(join(bundle.shared, 'marker')), 'the existing created container was not started')
  t.equal((await rt.state(id)).status, 'created')
})

t.test('runtime.md#runtimeStart: "This operation MUST generate an error if process was not set"', async t => {
  const rt = await openRuntime(t)
  const b = bundleFor(t, spec => { delete spec.process })
  const id = rt.newId()
  const before = snapshotHost()
  const c = await rt.create(id, b.dir)
  if (c.code === 0) {
    t.comment('create accepted a config without process; start must fail')
    t.not((await rt.start(id)).code, 0, 'start fails')
  } else {
    t.comment('the runtime refused the config at create (validation before step 2), so no container exists')
    await assertNothingLeft(t, rt, id, before)
    t.not((await rt.start(id)).code, 0, 'start fails')
  }
})
