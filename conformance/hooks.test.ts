/**
 * config.md#configHooks and the hook steps of runtime.md#runtimeLifecycle
 * (3, 4, 5, 7, 9, 13).
 *
 * Every hook is busybox `sh -c`, which exists at /bin/busybox both on the host
 * (runtime namespace) and in the rootfs (container namespace). Hooks append
 * to one log: the host path of the /shared bind mount for hooks that run in
 * the runtime namespace or before pivot_root, and /shared/log for
 * startContainer, which runs inside the container's root.
 */
import t from 'tap'
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNothingLeft, expectDeviation, setup, snapshotHost, waitFor, waitForFile, WAIT_GO, type Fixture, type TapLike } from './lib/harness.js'
import { type OciSpec } from './lib/bundle.js'
import { RuntimeTimeout, type ContainerState } from './lib/runtime.js'

interface Hook { path: string, args?: string[], env?: string[], timeout?: number }
type HookName = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop'

/**
 * A busybox `sh -c` hook. It reads the state from its stdin first: a hook that
 * exits without reading it is a separate test (a runtime may die of SIGPIPE).
 */
const sh = (script: string, extra: Partial<Hook> = {}): Hook => ({ path: '/bin/busybox', args: ['sh', '-c', `cat > /dev/null; ${script}`], ...extra })
/** A hook that does not read its stdin. */
const shNoRead = (script: string): Hook => ({ path: '/bin/busybox', args: ['sh', '-c', script] })

function addHooks (spec: OciSpec, hooks: Partial<Record<HookName, Hook[]>>): void {
  spec.hooks = { ...(spec.hooks as object | undefined), ...hooks }
}

/** A hook that logs its name and its mount namespace, and saves the state it got on stdin. */
function recorder (name: HookName, dir: string): Hook {
  return shNoRead(`cat > ${dir}/state-${name}.json; echo "${name} $(readlink /proc/self/ns/mnt)" >> ${dir}/log`)
}

function logLines (dir: string): string[] {
  const p = join(dir, 'log')
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []
}

async function withAllHooks (t: TapLike): Promise<Fixture> {
  // Placeholder dir: the real host path is known only once the bundle exists, so hooks are added after.
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', `echo "program $(readlink /proc/self/ns/mnt)" >> /shared/log; ${WAIT_GO}`] })
  const spec = f.bundle.readConfig()
  const host = f.bundle.shared
  addHooks(spec, {
    prestart: [recorder('prestart', host)],
    createRuntime: [recorder('createRuntime', host)],
    createContainer: [recorder('createContainer', host)],
    startContainer: [recorder('startContainer', '/shared')],
    poststart: [recorder('poststart', host)],
    poststop: [recorder('poststop', host)]
  })
  f.bundle.writeConfig(spec)
  return f
}

t.test('config.md#configHooks: one container through its lifecycle with all six hooks', async t => {
  const { rt, bundle, id } = await withAllHooks(t)
  const hostMnt = readlinkSync('/proc/self/ns/mnt')
  const names = (): string[] => logLines(bundle.shared).map(l => l.split(' ')[0] ?? '')
  const c = await rt.create(id, bundle.dir)
  t.equal(c.code, 0, 'create succeeds', { stderr: c.stderr })
  const pid = (await rt.state(id)).pid as number
  const containerMnt = readlinkSync(`/proc/${pid}/ns/mnt`)
  const afterCreate = names()

  await t.test('runtime.md#runtimeLifecycle steps 3-5 / configHooksPrestart / configHooksCreateContainer: create runs prestart, then createRuntime, then createContainer', async t => {
    t.same(afterCreate.filter(n => ['prestart', 'createRuntime', 'createContainer'].includes(n)), ['prestart', 'createRuntime', 'createContainer'])
    t.notOk(afterCreate.includes('startContainer'), 'startContainer has not run at create')
  })

  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  const afterStart = names()
  await waitFor(() => names().includes('program'))
  const withProgram = names()

  await t.test('config.md#configHooksStartContainer: startContainer "MUST be called before the user-specified process is executed as part of the start operation"', async t => {
    t.notOk(afterCreate.includes('startContainer'), 'it did not run at create')
    t.ok(withProgram.includes('startContainer'), 'it ran once start was called')
    t.ok(withProgram.includes('startContainer') && withProgram.indexOf('startContainer') < withProgram.indexOf('program'), 'and before the program', { log: withProgram })
  })

  await t.test('config.md#configHooksPoststart: poststart "MUST be called after the user-specified process is executed but before the start operation returns"', async t0 => {
    const t = expectDeviation(expectDeviation(t0, 'poststart-at-create'), 'poststart-before-exec')
    t.notOk(afterCreate.includes('poststart'), 'poststart did not run at create', { log: afterCreate })
    t.ok(afterStart.includes('poststart'), 'poststart ran before start returned', { log: afterStart })
    const all = names()
    t.ok(all.includes('startContainer') && all.indexOf('startContainer') < all.indexOf('poststart'), 'after startContainer (which precedes the program\'s exec)', { log: all })
  })

  writeFileSync(join(bundle.shared, 'go'), '')
  await rt.waitStatus(id, 'stopped')
  const beforeDelete = names()
  t.equal((await rt.delete(id)).code, 0, 'delete succeeds')

  await t.test('config.md#configHooksPoststop: poststop "MUST be called after the container is deleted but before the delete operation returns"', async t => {
    t.notOk(beforeDelete.includes('poststop'), 'poststop had not run before delete')
    t.equal(names().filter(n => n === 'poststop').length, 1, 'delete ran poststop once')
    t.equal(names().at(-1), 'poststop', 'as the last hook')
  })

  await t.test('config.md#configHooks: each hook "MUST be executed in" its namespace (runtime or container)', async t => {
    const ns = Object.fromEntries(logLines(bundle.shared).map(l => l.split(' ') as [string, string]))
    for (const h of ['prestart', 'createRuntime', 'poststart', 'poststop']) t.equal(ns[h], hostMnt, `${h} ran in the runtime mount namespace`)
    for (const h of ['createContainer', 'startContainer']) t.equal(ns[h], containerMnt, `${h} ran in the container mount namespace`)
    t.equal(ns.program, containerMnt, 'control: the program ran in the container mount namespace')
  })

  const hookState = (h: string): ContainerState | undefined => {
    try { return JSON.parse(readFileSync(join(bundle.shared, `state-${h}.json`), 'utf8')) as ContainerState } catch { return undefined }
  }
  const checkState = (t: TapLike, h: string, expectPid: number | undefined): void => {
    const state = hookState(h)
    t.ok(state !== undefined, `${h}: stdin is a JSON state`)
    t.equal(state?.id, id, `${h}: state.id`)
    t.equal(state?.bundle, bundle.dir, `${h}: state.bundle`)
    t.ok(['creating', 'created', 'running', 'stopped'].includes(state?.status ?? ''), `${h}: state.status is one of the schema's values`, { status: state?.status })
    if (expectPid !== undefined) t.equal(state?.pid, expectPid, `${h}: state.pid`)
    t.comment(`${h}: status ${state?.status}`)
  }

  await t.test('config.md#configHooks: "The state of the container MUST be passed to hooks over stdin" (runtime-namespace hooks)', async t => {
    // runtime.md#runtimeState: "For hooks executed in the runtime namespace, it is the pid as seen by the runtime."
    for (const h of ['prestart', 'createRuntime', 'poststart']) checkState(t, h, pid)
    checkState(t, 'poststop', undefined)
    t.equal(hookState('poststop')?.status, 'stopped', 'poststop: status is stopped')
  })

  await t.test('runtime.md#runtimeState: status `creating` is "step 2 in the lifecycle" only: the hooks of steps 3-5 (prestart, createRuntime, createContainer) get `created`', async t0 => {
    const t = expectDeviation(t0, 'hook-status-creating')
    for (const h of ['prestart', 'createRuntime', 'createContainer']) t.equal(hookState(h)?.status, 'created', `${h}: status`)
  })

  await t.test('config.md#configHooks: "The state of the container MUST be passed to hooks over stdin" (container-namespace hooks)', async t0 => {
    const t = expectDeviation(t0, 'container-hook-state')
    // runtime.md#runtimeState: "For hooks executed in the container namespace, it is the pid as seen by the container."
    for (const h of ['createContainer', 'startContainer']) checkState(t, h, 1)
  })
})

t.test('config.md#configHooks: hook args have execv argv semantics and env is the hook\'s env', async t => {
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0'] })
  const spec = f.bundle.readConfig()
  addHooks(spec, {
    createRuntime: [{ path: '/bin/busybox', args: ['sh', '-c', `echo "$0|$1|$HOOKVAR|$PATH" > ${f.bundle.shared}/args`, 'argv-zero', 'one two'], env: ['HOOKVAR=hv', 'PATH=/hookpath'] }]
  })
  f.bundle.writeConfig(spec)
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create succeeds')
  t.equal(readFileSync(join(f.bundle.shared, 'args'), 'utf8'), 'argv-zero|one two|hv|/hookpath\n')
})

t.test('config.md#configHooks: a hook that exits 0 without reading the state on its stdin has succeeded', async t0 => {
  // The state is passed over stdin, but a hook need not read it. With a state
  // larger than a pipe buffer (a 256 KiB annotation), the runtime's write must
  // hit EPIPE: it has to survive that (no SIGPIPE death) and carry on.
  const t = expectDeviation(t0, 'hook-stdin-sigpipe')
  const f = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', 'echo ran > /shared/program']
    spec.annotations = { 'org.ocirt.conformance/big': 'x'.repeat(256 * 1024) }
  })
  const spec = f.bundle.readConfig()
  const log = join(f.bundle.shared, 'log')
  addHooks(spec, {
    createRuntime: [shNoRead('exit 0'), sh(`echo createRuntime-2 >> ${log}`)],
    poststart: [shNoRead('exit 0')],
    poststop: [shNoRead('exit 0'), sh(`echo poststop-2 >> ${log}`)]
  })
  f.bundle.writeConfig(spec)
  const c = await f.rt.create(f.id, f.bundle.dir)
  t.equal(c.code, 0, 'create succeeds', { stderr: c.stderr, signal: c.signal })
  const s = await f.rt.start(f.id)
  t.equal(s.code, 0, 'start succeeds', { stderr: s.stderr, signal: s.signal })
  t.equal(await waitForFile(join(f.bundle.shared, 'program')), 'ran\n', 'the program ran')
  await f.rt.waitStatus(f.id, 'stopped').catch(() => undefined)
  const d = await f.rt.delete(f.id)
  t.equal(d.code, 0, 'delete succeeds', { stderr: d.stderr, signal: d.signal })
  t.same(logLines(f.bundle.shared), ['createRuntime-2', 'poststop-2'], 'the hooks after the non-reading ones ran')
})

t.test('config.md#configHooks: "Hooks MUST be called in the listed order" (several hooks of one kind)', async t => {
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0'] })
  const spec = f.bundle.readConfig()
  const log = join(f.bundle.shared, 'log')
  addHooks(spec, { createRuntime: ['3', '1', '2', '5', '4'].map(n => sh(`echo ${n} >> ${log}`)) })
  f.bundle.writeConfig(spec)
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create succeeds')
  t.equal(readFileSync(log, 'utf8'), '3\n1\n2\n5\n4\n')
})

t.test('config.md#configHooksCreateContainer: a createContainer hook runs in the container\'s namespaces, its time namespace (linux.timeOffsets) included', async t => {
  const offsets = (text: string): string[] => text.trim().split('\n').map(l => l.trim().split(/\s+/).join(' ')).sort()
  const f = await setup(t, spec => {
    spec.linux!.namespaces!.push({ type: 'time' })
    spec.linux!.timeOffsets = { boottime: { secs: 864000, nanosecs: 0 }, monotonic: { secs: 3600, nanosecs: 500 } }
    spec.process!.args = ['sh', '-c', 'cat /proc/self/timens_offsets > /shared/container-offsets']
  })
  const spec = f.bundle.readConfig()
  addHooks(spec, { createContainer: [sh(`cat /proc/self/timens_offsets > ${f.bundle.shared}/hook-offsets`)] })
  f.bundle.writeConfig(spec)
  const c = await f.rt.create(f.id, f.bundle.dir)
  t.equal(c.code, 0, 'create succeeds', { stderr: c.stderr })
  t.equal((await f.rt.start(f.id)).code, 0, 'start succeeds')
  const container = await waitForFile(join(f.bundle.shared, 'container-offsets'))
  t.same(offsets(container ?? ''), ['boottime 864000 0', 'monotonic 3600 500'], 'the container has the configured offsets')
  t.same(offsets(readFileSync(join(f.bundle.shared, 'hook-offsets'), 'utf8')), offsets(container ?? ''), 'the hook sees the container\'s clocks')
})

t.test('runtime.md#runtimeLifecycle step 4: a failing createRuntime hook — create MUST generate an error; the container is destroyed (step 12) and poststop runs (step 13)', async t0 => {
  const t = expectDeviation(t0, 'failed-create-no-poststop')
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'echo ran > /shared/program'] })
  const spec = f.bundle.readConfig()
  const log = join(f.bundle.shared, 'log')
  addHooks(spec, {
    createRuntime: [sh(`echo createRuntime >> ${log}; exit 7`)],
    createContainer: [sh(`echo createContainer >> ${log}`)],
    poststop: [sh(`echo poststop >> ${log}`)]
  })
  f.bundle.writeConfig(spec)
  const before = snapshotHost()
  t.not((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create fails')
  await assertNothingLeft(t, f.rt, f.id, before)
  t.notOk(existsSync(join(f.bundle.shared, 'program')), 'the user program never ran')
  t.same(logLines(f.bundle.shared), ['createRuntime', 'poststop'], 'the later createContainer hook did not run; poststop did')
})

t.test('runtime.md#runtimeLifecycle step 7: a failing startContainer hook — start MUST generate an error and the program does not run', async t0 => {
  const t = expectDeviation(t0, 'startcontainer-failure-unreported')
  const f = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', 'echo ran > /shared/program']
    addHooks(spec, { startContainer: [sh('exit 3')] })
  })
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create succeeds')
  t.not((await f.rt.start(f.id)).code, 0, 'start fails')
  await new Promise(resolve => setTimeout(resolve, 200))
  t.notOk(existsSync(join(f.bundle.shared, 'program')), 'the user program never ran')
  const s = await f.rt.stateResult(f.id)
  t.ok(s.code !== 0 || (JSON.parse(s.stdout) as ContainerState).status === 'stopped', 'the container is stopped or gone', { state: s.stdout })
})

t.test('runtime.md#runtimeLifecycle step 13: a failing poststop hook only warns — delete succeeds and the remaining hooks run', async t0 => {
  const t = expectDeviation(t0, 'poststop-failure-skips-rest')
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0'] })
  const spec = f.bundle.readConfig()
  const log = join(f.bundle.shared, 'log')
  addHooks(spec, { poststop: [sh(`echo first >> ${log}; exit 1`), sh(`echo second >> ${log}`)] })
  f.bundle.writeConfig(spec)
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0)
  t.equal((await f.rt.start(f.id)).code, 0)
  await f.rt.waitStatus(f.id, 'stopped')
  const d = await f.rt.delete(f.id)
  t.equal(d.code, 0, 'delete succeeds despite the failing hook', { stderr: d.stderr, signal: d.signal })
  t.not((await f.rt.stateResult(f.id)).code, 0, 'the container is gone')
  t.same(logLines(f.bundle.shared), ['first', 'second'], 'the second poststop hook still ran')
})

t.test('config.md#configHooks: timeout — "the number of seconds before aborting the hook"', async t => {
  const f = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'exit 0'] })
  const spec = f.bundle.readConfig()
  // The hook process itself sleeps (no child): runc only kills the hook process, and a
  // forked child holding the hook's stdio makes runc wait for it (see deviations.md).
  addHooks(spec, { createRuntime: [{ path: '/bin/busybox', args: ['sleep', '30'], timeout: 1 }] })
  f.bundle.writeConfig(spec)
  const before = snapshotHost()
  const started = Date.now()
  let code: number | null = null
  try {
    code = (await f.rt.create(f.id, f.bundle.dir, { timeoutMs: 15_000 })).code
  } catch (err) {
    if (!(err instanceof RuntimeTimeout)) throw err
    t.fail(err.message)
  }
  const took = Date.now() - started
  t.not(code, 0, 'create fails: the hook was aborted')
  t.ok(took < 10_000, `create returned in ${took} ms, well before the hook would have finished`)
  await assertNothingLeft(t, f.rt, f.id, before)
})

t.test('config.md#configHooksPoststart: a failing poststart hook — start MUST generate an error and the container is stopped', async t0 => {
  // runc runs poststart at create, so there it is create that fails.
  const t = expectDeviation(expectDeviation(t0, 'poststart-at-create'), 'poststart-failure-ignored')
  const f = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', `echo up > /shared/up; ${WAIT_GO}`]
    addHooks(spec, { poststart: [sh('exit 5')] })
  })
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0, 'create succeeds')
  t.not((await f.rt.start(f.id)).code, 0, 'start fails')
  const s = await f.rt.stateResult(f.id)
  if (s.code === 0) {
    const st = await f.rt.waitStatus(f.id, 'stopped').catch(() => undefined)
    t.equal(st?.status, 'stopped', 'the container was stopped')
  } else {
    t.pass('the container was destroyed')
  }
})
