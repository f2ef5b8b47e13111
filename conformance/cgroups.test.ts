/**
 * config-linux.md "Control groups": the clauses a black-box test sees from
 * the host's cgroup files and from inside the container. Every cgroup is
 * under TEST_CGROUP_PARENT; the clauses are checked on whichever cgroup
 * version the host has (v1 here, v2 in the guest lane).
 */
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectDeviation, setup, shell, TEST_CGROUP_PARENT, cgroupDirsFor, cgroupMounts, assertNothingLeft, snapshotHost } from './lib/harness.js'

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers')

/** The host dir of `path` in the hierarchy that has `controller` (v1) or the unified one (v2). */
function dirOf (controller: string, path: string): string {
  if (V2) return join('/sys/fs/cgroup', path)
  return join(`/sys/fs/cgroup/${controller}`, path)
}

t.test('config-linux.md#configLinuxCgroupsPath: an absolute cgroupsPath is taken relative to the cgroups mount point', async t => {
  const path = `${TEST_CGROUP_PARENT}/abs-${process.pid}-${Date.now()}`
  const { rt, bundle, id } = await setup(t, spec => { spec.linux!.cgroupsPath = path; shell('cat /proc/self/cgroup')(spec) }, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, r.stderr)
  const memoryLine = r.stdout.split('\n').find(l => V2 ? l.startsWith('0::') : /^\d+:memory:/.test(l))
  t.equal(memoryLine?.split(':')[2], path, 'the container process is in <mount point><cgroupsPath>', { stdout: r.stdout })
})

t.test('config-linux.md#configLinuxCgroupsPath: the same cgroupsPath attaches to the same place every time', async t => {
  const path = `${TEST_CGROUP_PARENT}/same-${process.pid}-${Date.now()}`
  const seen: string[] = []
  for (let i = 0; i < 2; i++) {
    const { rt, bundle, id } = await setup(t, spec => { spec.linux!.cgroupsPath = path; shell('cat /proc/self/cgroup')(spec) }, {})
    const r = await rt.runContainer(id, bundle.dir)
    t.equal(r.code, 0, r.stderr)
    seen.push(r.stdout)
  }
  t.equal(seen[0], seen[1], 'both containers report the same cgroups')
})

t.test('config-linux.md#configLinuxCgroupsPath: an invalid cgroupsPath MUST generate an error', async t => {
  const tt = expectDeviation(t, 'cgroupspath-dotdot')
  const before = snapshotHost()
  const { rt, bundle, id } = await setup(t, spec => { spec.linux!.cgroupsPath = `${TEST_CGROUP_PARENT}/../../escape-${process.pid}`; shell('true')(spec) }, {})
  const r = await rt.create(id, bundle.dir)
  tt.not(r.code, 0, 'create fails for a path with ".." components')
  await rt.delete(id, true)
  t.same(cgroupMounts().map(m => join(m, `escape-${process.pid}`)).filter(d => existsSync(d)), [], 'no cgroup was made outside the tree')
  if (r.code !== 0) return
  await assertNothingLeft(t, rt, id, before)
})

t.test('config-linux.md#configLinuxMemory: limit is the memory limit of the container\'s cgroup', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 40 << 20 } }
    shell('true')(spec)
  }, {})
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const path = bundle.spec.linux!.cgroupsPath!
  t.equal(readFileSync(join(dirOf('memory', path), V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim(), String(40 << 20))
  t.equal((await rt.delete(id, true)).code, 0)
  t.same(cgroupDirsFor(path), [], 'the cgroup is gone after delete')
})

// Relied on by clients (deviations.md, pids-limit-zero): podman --pids-limit -1
// sends 0 meaning "no limit", as runc 1.1.5 reads it. The test accepts the
// spec's 0 or runc's unset, and checks whichever happened.
t.test('config-linux.md#configLinuxPids: 0 is a valid pids limit and SHOULD be treated as such (or as unset, as runc)', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.resources = { ...spec.linux!.resources, pids: { limit: 0 } }
    // exec does not fork: the init still runs, and cannot make a child.
    shell('true')(spec)
  }, {})
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const max = readFileSync(join(dirOf('pids', bundle.spec.linux!.cgroupsPath!), 'pids.max'), 'utf8').trim()
  t.ok(max === '0' || max === 'max', `pids.max is 0 (the spec) or max (runc: 0 is unset), not ${max}`)
})

t.test('config-linux.md#configLinuxDeviceAllowedlist: "The runtime MUST apply entries in the listed order"', async t => {
  const script = 'mknod /dev/xfuse c 10 229 && (cat /dev/xfuse 2>&1 | head -c 200; true)'
  const outcome = async (rules: Array<{ allow: boolean, type?: 'c', major?: number, minor?: number, access: string }>): Promise<string> => {
    const { rt, bundle, id } = await setup(t, spec => {
      shell(script)(spec)
      for (const set of ['bounding', 'effective', 'permitted'] as const) spec.process!.capabilities![set]!.push('CAP_MKNOD')
      spec.linux!.resources = { ...spec.linux!.resources, devices: rules }
    }, {})
    const r = await rt.runContainer(id, bundle.dir)
    return r.stdout
  }
  const fuse = { type: 'c' as const, major: 10, minor: 229 }
  const allowThenDeny = await outcome([{ allow: false, access: 'rwm' }, { allow: true, ...fuse, access: 'rw' }, { allow: false, ...fuse, access: 'rw' }])
  t.match(allowThenDeny, /can't open '\/dev\/xfuse': Operation not permitted/, 'allow then deny: the later deny wins')
  const denyThenAllow = await outcome([{ allow: false, access: 'rwm' }, { allow: false, ...fuse, access: 'rw' }, { allow: true, ...fuse, access: 'rw' }])
  t.notMatch(denyThenAllow, /can't open/, 'deny then allow: the later allow wins (the open reaches the driver)', { denyThenAllow })
})

t.test('config-linux.md#configLinuxUnified: a controller that is not present MUST generate an error', async t => {
  const before = snapshotHost()
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.resources = { ...spec.linux!.resources, unified: { 'nosuchcontroller.max': '1' } }
    shell('true')(spec)
  }, {})
  const r = await rt.create(id, bundle.dir)
  t.not(r.code, 0, 'create fails')
  await assertNothingLeft(t, rt, id, before, bundle.spec.linux!.cgroupsPath)
})
