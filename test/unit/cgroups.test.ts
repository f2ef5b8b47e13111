// The cgroup managers' pure half (issue 13 item 5): which manager the
// factory picks for a host layout and --systemd-cgroup, the cgroup each
// plans for a cgroupsPath, and what a manager rebuilt from a state.json
// record hands the init's parent. Given layouts, no host read: no root and
// no built binary needed.
import t from 'tap'
import { cgroupManager, managerFor } from '../../src/linux/cgroups/index.js'
import type { ContainerCgroup } from '../../src/linux/cgroups/index.js'
import { V1Manager } from '../../src/linux/cgroups/v1.js'
import { V2Manager } from '../../src/linux/cgroups/v2.js'
import { SystemdManager } from '../../src/linux/cgroups/systemd.js'
import type { CgroupLayout, Hierarchy } from '../../src/linux/cgroups/hierarchy.js'
import { deviceRules } from '../../src/linux/cgroups/devices.js'
import { ConfigError, OcirtError } from '../../src/errors.js'

const v1Hierarchy = (key: string, ownPath: string, mountRoot = '/'): Hierarchy =>
  ({ controllers: key.split(','), key, mountPoint: `/sys/fs/cgroup/${key}`, mountRoot, ownPath })

/** This machine's shape: v1 controllers plus the empty cgroup2 at /sys/fs/cgroup/unified. */
const hybrid: CgroupLayout = {
  version: 1,
  hierarchies: [
    v1Hierarchy('memory', '/user.slice'),
    v1Hierarchy('cpu,cpuacct', '/user.slice'),
    // A hierarchy mounted from below its root (as inside a container): directories are relative to the mount's root.
    v1Hierarchy('freezer', '/outer/inner', '/outer'),
    { controllers: [], key: '', mountPoint: '/sys/fs/cgroup/unified', mountRoot: '/', ownPath: '/user.slice' },
  ],
}
function caught (f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

const unified: CgroupLayout = { version: 2, hierarchies: [{ controllers: [], key: '', mountPoint: '/sys/fs/cgroup', mountRoot: '/', ownPath: '/init.scope' }] }

t.test('the factory picks the manager from the layout and --systemd-cgroup', async t => {
  t.ok(cgroupManager(hybrid, false) instanceof V1Manager, 'v1 (and hybrid): V1Manager')
  t.ok(cgroupManager(unified, false) instanceof V2Manager, 'v2: V2Manager')
  const systemdOnV1 = cgroupManager(hybrid, true)
  const systemdOnV2 = cgroupManager(unified, true)
  t.ok(systemdOnV1 instanceof SystemdManager && systemdOnV2 instanceof SystemdManager, '--systemd-cgroup: the systemd stub')
  t.same([systemdOnV1.version, systemdOnV2.version], [1, 2], 'of the host\'s version')
})

t.test('a manager rebuilt from a state.json record is of the record\'s version', async t => {
  t.ok(managerFor({ version: 1, path: '/x', dirs: { memory: '/sys/fs/cgroup/memory/x' }, created: [] }) instanceof V1Manager)
  t.ok(managerFor({ version: 2, path: '/x', dirs: { '': '/sys/fs/cgroup/x' }, created: [] }) instanceof V2Manager)
})

t.test('the planned cgroup of a v1 (hybrid) host', async t => {
  const manager = cgroupManager(hybrid, false)
  const relative = manager.planned('ctr/../web', 'id1')
  // Key order is state.json's: a record older builds read must come out the same.
  t.equal(JSON.stringify(relative), JSON.stringify({
    version: 1,
    // The last hierarchy's, as before (the caller's cgroup is the same in each but a nested one).
    path: '/user.slice/web',
    dirs: {
      memory: '/sys/fs/cgroup/memory/user.slice/web',
      'cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/user.slice/web',
      freezer: '/sys/fs/cgroup/freezer/inner/web',
      '': '/sys/fs/cgroup/unified/user.slice/web',
    },
    created: [],
  }), 'relative: below the caller\'s cgroup in each hierarchy, ".." kept inside it')
  t.equal(manager.planned(undefined, 'id1').path, '/user.slice/id1', 'absent: the container id, relative')
  const absolute = manager.planned('/../machine/c1/', 'id1')
  t.equal(absolute.path, '/machine/c1', 'absolute: from each hierarchy\'s root, ".." cannot climb above it')
  t.equal(absolute.dirs.memory, '/sys/fs/cgroup/memory/machine/c1')
})

t.test('the planned cgroup of a v2 host', async t => {
  t.same(cgroupManager(unified, false).planned('/kubepods/pod1/c1', 'id1'),
    { version: 2, path: '/kubepods/pod1/c1', dirs: { '': '/sys/fs/cgroup/kubepods/pod1/c1' }, created: [] })
  t.same(cgroupManager(unified, false).planned(undefined, 'id1').dirs, { '': '/sys/fs/cgroup/init.scope/id1' })
})

t.test('the systemd stub refuses to plan, with the words clients and tests read', async t => {
  for (const layout of [hybrid, unified]) {
    const manager = cgroupManager(layout, true)
    const badPath = caught(() => manager.planned('/not/a/slice', 'id1'))
    t.ok(badPath instanceof ConfigError && badPath.message.includes('/linux/cgroupsPath') &&
      badPath.message.includes('with --systemd-cgroup it must be "slice:prefix:name", not "/not/a/slice"'), 'a path not slice:prefix:name names the field')
    for (const path of ['system.slice:ocirt:id1', undefined]) {
      const refused = caught(() => manager.planned(path, 'id1'))
      t.ok(refused instanceof OcirtError && !(refused instanceof ConfigError), `cgroupsPath ${String(path)}: refused`)
      t.match((refused as Error).message, /^--systemd-cgroup: (systemd is not running on this host \(no \/run\/systemd\/system\)|creating cgroups through systemd is not supported yet by this build of ocirt); leave the flag out to manage cgroups directly$/)
      t.throws(() => manager.create(path, 'id1'), OcirtError, 'create refuses before it makes anything')
    }
  }
  // Nothing mounted: nothing to plan (and create says no hierarchy is mounted), as before the stub existed.
  const bare = cgroupManager({ version: 2, hierarchies: [] }, true)
  t.same(bare.planned('x', 'id1'), { version: 2, path: '', dirs: {}, created: [] })
  t.throws(() => bare.create('x', 'id1'), /no cgroup hierarchy is mounted on this host/)
})

t.test('where the init is placed, from the record alone', async t => {
  const v1: ContainerCgroup = { version: 1, path: '/c1', dirs: { memory: '/m/c1', 'cpu,cpuacct': '/cpu/c1', '': '/u/c1' }, created: ['/m/c1'] }
  t.same(managerFor(v1).placement(v1), { cgroupProcs: ['/u/c1/cgroup.procs'], cloneIntoCgroup: '/u/c1', selfPlaceTasks: ['/m/c1/tasks', '/cpu/c1/tasks'] },
    'v1: the stage writes each tasks file; clone3 into the hybrid cgroup2')
  const v1Only: ContainerCgroup = { version: 1, path: '/c1', dirs: { memory: '/m/c1' }, created: [] }
  const placed = managerFor(v1Only).placement(v1Only)
  t.same(placed, { cgroupProcs: [], cloneIntoCgroup: undefined, selfPlaceTasks: ['/m/c1/tasks'] }, 'v1 without cgroup2: tasks files only')
  t.ok('cloneIntoCgroup' in placed, 'the key is there, undefined, as the wire expects')
  const v2: ContainerCgroup = { version: 2, path: '/c1', dirs: { '': '/sys/fs/cgroup/c1' }, created: [] }
  t.same(managerFor(v2).placement(v2), { cgroupProcs: ['/sys/fs/cgroup/c1/cgroup.procs'], cloneIntoCgroup: '/sys/fs/cgroup/c1' })
  t.equal(managerFor(v1).dirFor(v1, 'cpuacct'), '/cpu/c1', 'v1: a co-mounted controller by either name')
  t.equal(managerFor(v1).dirFor(v1, 'pids'), undefined)
  t.equal(managerFor(v2).dirFor(v2, 'memory'), '/sys/fs/cgroup/c1', 'v2: one directory')
})

t.test('device rules: files on v1, a program on v2', async t => {
  const rules = deviceRules([{ allow: false, access: 'rwm' }])
  const writes = cgroupManager(hybrid, false).deviceWrites(rules)
  t.same(writes?.slice(0, 2).map(w => `${w.file} ${w.value}`), ['devices.deny a', 'devices.deny a *:* rwm'], 'v1: deny all first, then the rules in order')
  t.equal(cgroupManager(unified, false).deviceWrites(rules), undefined, 'v2: no files (an eBPF filter)')
})

t.test('resource writes in each version\'s files', async t => {
  const resources = { memory: { limit: 1 << 20 }, cpu: { shares: 1024 } }
  t.same(cgroupManager(hybrid, false).resourceWrites(resources).writes.map(w => w.file), ['memory.limit_in_bytes', 'cpu.shares'])
  t.same(cgroupManager(unified, false).resourceWrites(resources).writes.map(w => w.file), ['memory.max', 'cpu.weight'])
})
