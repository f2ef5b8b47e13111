/**
 * runtime.md#runtimeLifecycle, runtime.md#runtimeCreate and the resource
 * clauses of runtime.md#runtimeDelete.
 */
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  args, assertNothingLeft, bundleFor, containerCgroupDirs, notYetInOcirt, openRuntime, setup, shell, sleep, snapshotHost,
  waitForFile, WAIT_GO
} from './lib/harness.js'
import { isAlive } from './lib/reaper.js'

t.test('runtime.md#runtimeCreate / #runtimeLifecycle step 2: "process.args MUST NOT be applied until triggered by start"; step 8: start runs it', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo ran > /shared/marker'))
  const c = await rt.create(id, bundle.dir)
  t.equal(c.code, 0, 'create succeeds', { stderr: c.stderr })
  const s = await rt.state(id)
  t.equal(s.status, 'created')
  await sleep(300)
  t.notOk(existsSync(join(bundle.shared, 'marker')), 'after create (+300 ms) the user program has not run')
  t.ok(isAlive(s.pid as number), 'the container process is alive, waiting for start')
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  t.equal(await waitForFile(join(bundle.shared, 'marker')), 'ran\n', 'after start the user program ran')
})

t.test('runtime.md#runtimeCreate: "All of the properties configured in config.json except for process MUST be applied" by create', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.hostname = 'conf-applied'
    spec.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] })
    spec.process!.args = ['sh', '-c', 'exit 0']
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const pid = (await rt.state(id)).pid as number
  t.ok(pid > 0, 'created container has a pid')
  for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net']) {
    t.not(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `linux.namespaces: ${ns} namespace created`)
  }
  t.equal(statSync(`/proc/${pid}/root/bin/busybox`).ino, statSync(join(bundle.rootfs, 'bin/busybox')).ino, 'root.path: the process\'s root is the bundle rootfs')
  const mountinfo = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
  t.match(mountinfo, / \/scratch \S+.* - tmpfs /, 'mounts: the tmpfs is mounted at /scratch')
  t.match(mountinfo, / \/proc \S+.* - proc /, 'mounts: proc is mounted at /proc')
  const hostname = execFileSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' }).trim()
  t.equal(hostname, 'conf-applied', 'hostname is set in the container UTS namespace')
})

t.test('runtime.md#runtimeLifecycle step 2 / #runtimeCreate: "Any updates to config.json after this step MUST NOT affect the container"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.hostname = 'before'
    spec.process!.env = ['PATH=/bin', 'FOO=one']
    spec.process!.args = ['sh', '-c', 'hostname > /shared/out; echo "$FOO" >> /shared/out; echo first >> /shared/out']
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const changed = bundle.readConfig()
  changed.hostname = 'after'
  changed.process!.env = ['PATH=/bin', 'FOO=two']
  changed.process!.args = ['sh', '-c', 'echo second > /shared/out; echo second > /shared/second']
  bundle.writeConfig(changed)
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  await rt.waitStatus(id, 'stopped')
  t.equal(await waitForFile(join(bundle.shared, 'out')), 'before\none\nfirst\n', 'hostname, env and args are those of config.json at create time')
  t.notOk(existsSync(join(bundle.shared, 'second')), 'the edited args never ran')
})

t.test('runtime.md#runtimeDelete: "Deleting a container MUST delete the resources that were created during the create step"', async t => {
  const { rt, bundle, id } = await setup(t, shell(`${WAIT_GO}; exit 0`))
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  const pid = (await rt.state(id)).pid as number
  const cgroups = containerCgroupDirs(pid)
  const noCgroups = notYetInOcirt('cgroups')
  if (noCgroups === false) t.ok(cgroups.length > 0, 'create made cgroups for the container', { cgroups })
  else t.comment(`${noCgroups}: its cgroups are not checked`)
  t.ok(cgroups.every(d => existsSync(d)), 'they exist while the container exists')
  t.equal((await rt.start(id)).code, 0)
  writeFileSync(join(bundle.shared, 'go'), '')
  await rt.waitStatus(id, 'stopped')
  const d = await rt.delete(id)
  t.equal(d.code, 0, 'delete of the stopped container succeeds', { stderr: d.stderr })
  t.not((await rt.stateResult(id)).code, 0, 'state fails: the container is gone')
  t.notOk((await rt.list()).includes(id), 'list no longer shows it')
  t.same(cgroups.filter(c => existsSync(c)), [], 'its cgroups were removed')
  t.notOk(isAlive(pid), 'its process is gone')
})

t.test('runtime.md#runtimeDelete: "resources associated with the container, but not created by this container, MUST NOT be deleted"', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo from-container > /shared/written'))
  writeFileSync(join(bundle.shared, 'host-file'), 'host\n')
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0)
  await rt.waitStatus(id, 'stopped')
  t.equal((await rt.delete(id)).code, 0, 'delete succeeds')
  t.ok(existsSync(bundle.configPath), 'the bundle\'s config.json is still there')
  t.ok(existsSync(join(bundle.rootfs, 'bin/busybox')), 'the rootfs is still there')
  t.equal(readFileSync(join(bundle.shared, 'host-file'), 'utf8'), 'host\n', 'a bind-mount source\'s host files are still there')
  t.equal(readFileSync(join(bundle.shared, 'written'), 'utf8'), 'from-container\n', 'what the container wrote through the bind mount is still there')
})

t.test('runtime.md#runtimeDelete: "Once a container is deleted its ID MAY be used by a subsequent container"', async t => {
  const { rt, bundle, id } = await setup(t, shell('exit 0'))
  const second = bundleFor(t, shell('echo second > /shared/who'), { shared: true })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  t.equal((await rt.start(id)).code, 0)
  await rt.waitStatus(id, 'stopped')
  t.equal((await rt.delete(id)).code, 0, 'first container deleted')
  const c = await rt.create(id, second.dir)
  t.equal(c.code, 0, 'create with the same id succeeds', { stderr: c.stderr })
  const s = await rt.state(id)
  t.equal(s.status, 'created')
  t.equal(s.bundle, second.dir, 'the id now names the new container')
  t.equal((await rt.start(id)).code, 0)
  t.equal(await waitForFile(join(second.shared, 'who')), 'second\n', 'and it runs the new bundle\'s program')
})

t.test('runtime.md#runtimeCreate: "If the ID provided is not unique ... MUST generate an error and a new container MUST NOT be created"', async t => {
  const { rt, bundle, id } = await setup(t, shell('echo A > /shared/who'))
  const other = bundleFor(t, shell('echo B > /shared/who'), { shared: true })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'first create succeeds')
  const first = await rt.state(id)
  const dup = await rt.create(id, other.dir)
  t.not(dup.code, 0, 'second create with the same id fails')
  const after = await rt.state(id)
  t.equal(after.status, 'created', 'the first container is still created')
  t.equal(after.pid, first.pid, 'with the same pid')
  t.equal(after.bundle, bundle.dir, 'and the same bundle')
  t.ok(isAlive(first.pid as number), 'its process is alive')
  t.equal((await rt.list()).filter(x => x === id).length, 1, 'list shows the id once')
  t.equal((await rt.start(id)).code, 0, 'the first container still starts')
  t.equal(await waitForFile(join(bundle.shared, 'who')), 'A\n', 'and runs its own program')
  await sleep(100)
  t.notOk(existsSync(join(other.shared, 'who')), 'the second bundle\'s program never ran')
})

t.test('runtime.md#runtimeCreate: create with a bundle path that does not exist MUST generate an error and leave nothing', async t => {
  const rt = await openRuntime(t)
  const id = rt.newId()
  const before = snapshotHost()
  const missing = join(tmpdir(), `ocirt-conformance-no-such-bundle-${id}`)
  const r = await rt.create(id, missing)
  t.not(r.code, 0, 'create fails')
  t.notOk(existsSync(missing), 'the runtime did not create the bundle dir')
  await assertNothingLeft(t, rt, id, before)
})

t.test('runtime.md#runtimeCreate: create with a bundle dir that has no config.json MUST generate an error and leave nothing', async t => {
  const rt = await openRuntime(t)
  const b = bundleFor(t, undefined, { noConfig: true })
  const id = rt.newId()
  const before = snapshotHost()
  t.not((await rt.create(id, b.dir)).code, 0, 'create fails')
  await assertNothingLeft(t, rt, id, before)
})

t.test('runtime.md#runtimeCreate: create without --bundle, from a cwd that is not a bundle, MUST generate an error and leave nothing', async t => {
  // runc's CLI defaults --bundle to the cwd; with a cwd holding no config.json no bundle is provided.
  const rt = await openRuntime(t)
  const empty = mkdtempSync(join(tmpdir(), 'ocirt-conformance-empty-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  const id = rt.newId()
  const before = snapshotHost()
  t.not((await rt.run(['create', id], { cwd: empty })).code, 0, 'create fails')
  await assertNothingLeft(t, rt, id, before)
})

t.test('runtime.md#runtimeCreate: "MUST generate an error if it is not provided ... the container ID"', async t => {
  const rt = await openRuntime(t)
  const b = bundleFor(t, args('sh', '-c', 'exit 0'))
  const before = snapshotHost()
  t.not((await rt.run(['create', '--bundle', b.dir])).code, 0, 'create without an ID fails')
  t.same(await rt.list(), [], 'no container was created')
  t.same([...snapshotHost().children], [...before.children], 'no process was left behind')
})

t.test('runtime.md#runtimeCreate: an ID that is "not valid in any other way" (path separators, empty) MUST generate an error', async t => {
  const rt = await openRuntime(t)
  const b = bundleFor(t, args('sh', '-c', 'exit 0'))
  const escape = rt.newId('escape')
  const before = snapshotHost()
  t.not((await rt.create(`../${escape}`, b.dir)).code, 0, 'create with id "../x" fails')
  t.notOk(existsSync(join(dirname(rt.root), escape)), 'nothing was written outside the state root')
  t.not((await rt.create('a/b', b.dir)).code, 0, 'create with id "a/b" fails')
  t.not((await rt.create('', b.dir)).code, 0, 'create with an empty id fails')
  t.same(await rt.list(), [], 'no container was created')
  t.same([...snapshotHost().children], [...before.children], 'no process was left behind')
})
