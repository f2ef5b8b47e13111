/**
 * config-linux.md "Seccomp": SCMP_ACT_NOTIFY with listenerPath and
 * listenerMetadata, and "The Container Process State" sent with the seccomp
 * fd. A small agent (lib/seccomp-agent.c) receives the state and the fd and
 * answers each notified syscall with an errno the container then sees.
 */
import t from 'tap'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { assertNothingLeft, bundleFor, expectDeviation, openRuntime, setup, shell, snapshotHost, WAIT_GO, waitFor } from './lib/harness.js'
import type { OciSpec } from './lib/bundle.js'
import { startSeccompAgent } from './lib/seccomp-agent.js'

const EDOM = 33
const EDOM_TEXT = 'Numerical argument out of domain'

/** Notifies mkdir (both syscalls busybox may use) to the agent at `listenerPath`. */
const notifyMkdir = (listenerPath: string, noNewPrivileges: boolean) => (spec: OciSpec): void => {
  spec.process!.noNewPrivileges = noNewPrivileges
  spec.linux!.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    listenerPath,
    listenerMetadata: 'ocirt-conformance metadata',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  }
}

for (const noNewPrivileges of [true, false]) {
  t.test(`config-linux.md#seccomp listenerPath: the agent gets the container process state and the seccomp fd, and answers the container's syscalls (noNewPrivileges ${String(noNewPrivileges)})`, async t => {
    const agent = await startSeccompAgent(t, EDOM)
    const { rt, bundle, id } = await setup(t, spec => {
      shell('mkdir /tmp/notified 2>&1; [ -d /tmp/notified ] && echo exists || echo absent')(spec)
      notifyMkdir(agent.socket, noNewPrivileges)(spec)
    }, {})
    const r = await rt.runContainer(id, bundle.dir)
    t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
    t.match(r.stdout, `mkdir: can't create directory '/tmp/notified': ${EDOM_TEXT}`, 'mkdir fails with the errno the agent chose')
    t.match(r.stdout, /absent/, 'and the directory was not made')

    const states = agent.states()
    t.equal(states.length, 1, 'exactly one container process state per connection, one connection', { states })
    const [first] = states
    if (first === undefined) return // the count above has failed the test
    const { fds, state } = first
    t.equal(fds, 1, 'one fd came with it (SCM_RIGHTS)')
    t.same(state.fds, ['seccompFd'], 'fds names it seccompFd')
    t.type(state.ociVersion, 'string', 'ociVersion is set')
    t.equal(state.metadata, 'ocirt-conformance metadata', 'metadata is listenerMetadata')
    t.ok(Number.isInteger(state.pid) && state.pid > 0, 'pid is the container process, as seen by the runtime', { pid: state.pid })
    t.equal(state.state.id, id, 'state.id is the container')
    t.equal(state.state.bundle, bundle.dir, 'state.bundle is the bundle')
    t.ok(['creating', 'created', 'running'].includes(state.state.status), 'state.status is a lifecycle status', { status: state.state.status })
    t.ok(agent.notifications().length >= 1, 'the agent saw the notification', { notifications: agent.notifications() })
    expectDeviation(t, 'seccomp-listener-kept-open').ok(first.closed, '"it MUST be closed after sending a seccomp state": EOF followed the JSON')
  })
}

t.test('config-linux.md#seccomp listenerPath: an exec\'d process sends its own listener (runc exec)', async t => {
  const agent = await startSeccompAgent(t, EDOM)
  const { rt, bundle, id } = await setup(t, spec => {
    shell(`${WAIT_GO}; exit 0`)(spec)
    notifyMkdir(agent.socket, true)(spec)
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  await waitFor(() => agent.states().length === 1)
  const r = await rt.run(['exec', id, 'sh', '-c', 'mkdir /tmp/by-exec 2>&1; echo done'])
  t.equal(r.code, 0, 'exec exits 0', { stderr: r.stderr })
  t.match(r.stdout, `mkdir: can't create directory '/tmp/by-exec': ${EDOM_TEXT}`, 'the exec\'d process is under the filter and its agent')
  const states = await waitFor(() => agent.states().length === 2 ? agent.states() : undefined)
  t.ok(states, 'a second container process state came for the exec\'d process', { states: agent.states() })
  const [initState, execState] = states ?? []
  if (initState !== undefined && execState !== undefined) {
    t.not(execState.state.pid, initState.state.pid, 'with the pid of the exec\'d process, not the init')
    t.equal(execState.fds, 1, 'and its own seccomp fd')
    t.equal(execState.state.state.id, id)
  }
})

for (const noNewPrivileges of [true, false]) {
  t.test(`config-linux.md#seccomp listenerPath: "If sending to this socket fails, the runtime MUST generate an error" (and leave nothing; noNewPrivileges ${String(noNewPrivileges)})`, async t => {
    const rt = await openRuntime(t)
    const id = rt.newId()
    const b = bundleFor(t, spec => {
      shell('exit 0')(spec)
      notifyMkdir(join(tmpdir(), `ocirt-no-agent-${id}.sock`), noNewPrivileges)(spec)
    })
    const before = snapshotHost()
    const created = await rt.create(id, b.dir)
    // The filter may be loaded at create or only at start: either must fail.
    const failed = created.code !== 0 ? created : await rt.start(id)
    t.not(failed.code, 0, 'create or start fails', { stdout: failed.stdout, stderr: failed.stderr })
    if (created.code === 0) await rt.delete(id, true)
    await assertNothingLeft(t, rt, id, before)
  })
}

t.test('config-linux.md#seccomp: SCMP_ACT_NOTIFY without listenerPath is an error', async t => {
  const rt = await openRuntime(t)
  const id = rt.newId()
  const b = bundleFor(t, spec => {
    shell('exit 0')(spec)
    notifyMkdir('', true)(spec)
    delete (spec.linux!.seccomp as { listenerPath?: string }).listenerPath
  })
  const before = snapshotHost()
  const r = await rt.create(id, b.dir)
  t.not(r.code, 0, 'create fails', { stderr: r.stderr })
  await assertNothingLeft(t, rt, id, before)
})
