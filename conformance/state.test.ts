/**
 * runtime.md#runtimeState and runtime.md#runtimeQueryState.
 */
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import Ajv04 from 'ajv-draft-04'
import { setup, shell, waitFor, waitForFile, WAIT_GO, openRuntime, bundleFor } from './lib/harness.js'
import { type ContainerState } from './lib/runtime.js'

import { SPEC_REFERENCE_MISSING, SPEC_SCHEMA_DIR } from './lib/reference.js'
const SCHEMA_DIR = SPEC_SCHEMA_DIR
const schemaDir = process.env.CONFORMANCE_SCHEMA_DIR ?? SCHEMA_DIR
const schemaMissing = process.env.CONFORMANCE_SCHEMA_DIR === undefined ? SPEC_REFERENCE_MISSING : false
const ajv = new Ajv04.default({ strict: false, allErrors: true })
function compileStateSchema (): ReturnType<typeof ajv.compile> {
  ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, 'defs.json'), 'utf8')), 'defs.json')
  return ajv.compile(JSON.parse(readFileSync(join(schemaDir, 'state-schema.json'), 'utf8')))
}

function cmdline (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, a) => i < a.length - 1 || s !== '')
}

t.test('runtime.md#runtimeState: REQUIRED properties ociVersion, id, status, bundle are present with the right types', async t => {
  const { rt, bundle, id } = await setup(t, shell('exit 0'))
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const s = await rt.state(id)
  t.type(s.ociVersion, 'string', 'ociVersion is a string')
  t.match(s.ociVersion, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, 'ociVersion is SemVer')
  t.equal(s.id, id, 'id is the container\'s ID')
  t.type(s.status, 'string', 'status is a string')
  t.equal(s.bundle, bundle.dir, 'bundle is the absolute path of the bundle directory')
})

t.test('runtime.md#runtimeState: status goes created → running → stopped through the lifecycle', async t => {
  const program = ['sh', '-c', `echo up > /shared/up; ${WAIT_GO}; exit 0`]
  const { rt, bundle, id } = await setup(t, spec => { if (spec.process !== undefined) spec.process.args = program })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const created = await rt.state(id)
  t.equal(created.status, 'created', '"created" after the create operation finished')

  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  t.equal(await waitForFile(join(bundle.shared, 'up')), 'up\n', 'the user program runs')
  const running = await rt.state(id)
  t.equal(running.status, 'running', '"running" while the user program has not exited')

  writeFileSync(join(bundle.shared, 'go'), '')
  const stopped = await rt.waitStatus(id, 'stopped')
  t.equal(stopped.status, 'stopped', '"stopped" once the container process exited')
  t.equal(stopped.id, id)
  t.equal(stopped.bundle, bundle.dir)
})

t.test('runtime.md#runtimeState: pid is REQUIRED when created or running (Linux) and is the container process', async t => {
  const program = ['sh', '-c', `${WAIT_GO}; exit 0`]
  const { rt, bundle, id } = await setup(t, spec => { if (spec.process !== undefined) spec.process.args = program })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const created = await rt.state(id)
  t.equal(created.status, 'created')
  t.ok(Number.isInteger(created.pid) && (created.pid as number) > 0, 'created: pid is a positive integer', { pid: created.pid })
  const pid = created.pid as number
  t.notSame(cmdline(pid), program, 'created: the process exists and has not executed the user program')

  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  const running = await rt.state(id)
  t.equal(running.status, 'running')
  t.equal(running.pid, pid, 'running: same pid as when created')
  // start may return a moment before the process has exec'd the program: allow it 2 s.
  const execd = await waitFor(() => JSON.stringify(cmdline(pid)) === JSON.stringify(program), 2000)
  t.ok(execd, 'running: pid is the process running process.args', { cmdline: cmdline(pid) })
  writeFileSync(join(bundle.shared, 'go'), '')
  await rt.waitStatus(id, 'stopped')
})

t.test('runtime.md#runtimeState: bundle is the ABSOLUTE path even when create was given a relative one', async t => {
  const { rt, bundle, id } = await setup(t, shell('exit 0'))
  const r = await rt.run(['create', '--bundle', basename(bundle.dir), id], { cwd: dirname(bundle.dir) })
  t.equal(r.code, 0, 'create with a relative --bundle succeeds', { stderr: r.stderr })
  const s = await rt.state(id)
  t.ok(s.bundle.startsWith('/'), 'bundle is absolute', { bundle: s.bundle })
  t.equal(s.bundle, bundle.dir, 'bundle is the bundle directory')
})

t.test('runtime.md#runtimeState: annotations from config.json round-trip into the state', async t => {
  const annotations = {
    'org.ocirt.conformance/key': 'value',
    'com.example.empty': '',
    'com.example.spaces': 'a b\tc "quoted" ü'
  }
  const { rt, bundle, id } = await setup(t, spec => { spec.annotations = annotations; spec.process!.args = ['sh', '-c', 'exit 0'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const s = await rt.state(id)
  t.same(s.annotations, annotations, 'state.annotations equals config.json annotations')
})

t.test('runtime.md#runtimeState: without annotations, the property is absent or an empty map', async t => {
  const { rt, bundle, id } = await setup(t, spec => { delete spec.annotations; spec.process!.args = ['sh', '-c', 'exit 0'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const s = await rt.state(id)
  t.ok(s.annotations === undefined || (typeof s.annotations === 'object' && Object.keys(s.annotations).length === 0),
    'annotations absent or {}', { annotations: s.annotations })
})

t.test('runtime.md#runtimeState: "When serialized in JSON, the format MUST adhere to schema/state-schema.json"', { skip: schemaMissing }, async t => {
  const validateState = compileStateSchema()
  const program = ['sh', '-c', `${WAIT_GO}; exit 0`]
  const { rt, bundle, id } = await setup(t, spec => {
    spec.process!.args = program
    spec.annotations = { 'org.ocirt.conformance/a': 'b' }
  })
  const check = (s: ContainerState, when: string): void => {
    const ok = validateState(s)
    t.ok(ok, `state while ${when} is valid against state-schema.json`, { state: s, errors: validateState.errors })
  }
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  check(await rt.state(id), 'created')
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  check(await rt.waitStatus(id, 'running'), 'running')
  writeFileSync(join(bundle.shared, 'go'), '')
  check(await rt.waitStatus(id, 'stopped'), 'stopped')
  // The validator is not vacuous: a state missing `bundle` must be rejected.
  t.notOk(validateState({ ociVersion: '1.0.0', id, status: 'created' }), 'the schema rejects a state without bundle')
})

t.test('runtime.md#runtimeQueryState: "This operation MUST return the state of a container": state of a running container matches it', async t => {
  const { rt, bundle, id } = await setup(t, shell(`${WAIT_GO}; exit 0`))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0)
  const r = await rt.stateResult(id)
  t.equal(r.code, 0, 'state exits 0')
  const s = JSON.parse(r.stdout) as ContainerState
  t.equal(s.id, id)
  t.equal(s.status, 'running')
  writeFileSync(join(bundle.shared, 'go'), '')
  await rt.waitStatus(id, 'stopped')
})

t.test('runtime.md#runtimeQueryState: "Attempting to query a container that does not exist MUST generate an error"', async t => {
  const rt = await openRuntime(t)
  const r = await rt.stateResult(rt.newId('missing'))
  t.not(r.code, 0, 'state of a nonexistent container exits nonzero')
  t.notMatch(r.stdout, /"status"/, 'and prints no state')
})

t.test('runtime.md#runtimeQueryState: a deleted container no longer has a state', async t => {
  const { rt, bundle, id } = await setup(t, shell('exit 0'))
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0)
  await rt.waitStatus(id, 'stopped')
  t.equal((await rt.delete(id)).code, 0, 'delete succeeds')
  t.not((await rt.stateResult(id)).code, 0, 'state after delete exits nonzero')
})

t.test('runtime.md#runtimeQueryState: "This operation MUST generate an error if it is not provided the ID of a container"', async t => {
  const rt = await openRuntime(t)
  // A container exists, so an implementation that defaulted to "some container" would be caught.
  const b = bundleFor(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0'] })
  const id = rt.newId()
  t.equal((await rt.create(id, b.dir)).code, 0)
  const r = await rt.run(['state'])
  t.not(r.code, 0, '`state` without an ID exits nonzero')
  t.notMatch(r.stdout, /"status"/, 'and prints no state')
})
