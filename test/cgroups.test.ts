// cgroups on this host's v1 hierarchies (issue 4; config-linux.md "Control
// groups"): the values land in the container's cgroup files and the kernel
// enforces them; pause/resume, update, events, ps, kill --all and
// delete --force act through the cgroup; nothing is left after delete.
// Every container's cgroup is under TEST_CGROUP_PARENT (the bundle template's
// cgroupsPath), never in a cgroup this test did not make.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cgroupMounts, TEST_CGROUP_PARENT, WAIT_GO, waitFor, waitForFile } from '../conformance/lib/harness.js'
import type { OciSpec } from '../conformance/lib/bundle.js'
import type { Runtime } from '../conformance/lib/runtime.js'
import { reapOrphans } from '../conformance/lib/reaper.js'
import { OCIRT, ocirt } from './lib/ocirt.js'

const V1 = existsSync('/sys/fs/cgroup/memory/cgroup.procs')
t.before(() => { if (!V1) throw new Error('these tests need the cgroup v1 hierarchies of this host; cgroup v2 runs in the guest lane (scripts/test-cgroup2.sh)') })

const cgroupDir = (spec: OciSpec, controller: string): string => `/sys/fs/cgroup/${controller}${spec.linux!.cgroupsPath!}`
const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim()
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

type Tap = Parameters<typeof ocirt>[0]

/** A detached container running `script`; returns the fixture and its spec. */
async function detached (t: Tap, script: string, configure?: (spec: OciSpec) => void): Promise<{ rt: Runtime, id: string, spec: OciSpec, shared: string }> {
  const f = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', script]; configure?.(spec) })
  const r = await f.rt.run(['run', '--detach', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, `run --detach: ${r.stderr}`)
  return { rt: f.rt, id: f.id, spec: f.bundle.spec, shared: f.bundle.shared }
}

t.test('linux.resources land in the container\'s cgroup files, and the init is in that cgroup', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = {
      ...s.linux!.resources,
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 64 << 20, swappiness: 10 },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 42 },
    }
  })
  const { pid } = await rt.state(id)
  const mem = cgroupDir(spec, 'memory')
  t.equal(read(mem, 'memory.limit_in_bytes'), String(64 << 20))
  t.equal(read(mem, 'memory.soft_limit_in_bytes'), String(32 << 20))
  t.equal(read(mem, 'memory.memsw.limit_in_bytes'), String(64 << 20))
  t.equal(read(mem, 'memory.swappiness'), '10')
  const cpu = cgroupDir(spec, 'cpu')
  t.equal(read(cpu, 'cpu.shares'), '512')
  t.equal(read(cpu, 'cpu.cfs_quota_us'), '50000')
  t.equal(read(cpu, 'cpu.cfs_period_us'), '100000')
  t.equal(read(cgroupDir(spec, 'cpuset'), 'cpuset.cpus'), '0')
  t.equal(read(cgroupDir(spec, 'pids'), 'pids.max'), '42')
  for (const c of ['memory', 'cpu', 'cpuset', 'pids', 'devices', 'freezer', 'blkio']) {
    t.ok(read(cgroupDir(spec, c), 'cgroup.procs').split('\n').includes(String(pid)), `the init is in its ${c} cgroup`)
  }
  // The template denies every device; the defaults (null, zero, ...) are allowed again after it.
  const devices = read(cgroupDir(spec, 'devices'), 'devices.list').split('\n')
  t.ok(devices.includes('c 1:3 rwm'), '/dev/null is allowed', { devices })
  t.notOk(devices.includes('a *:* rwm'), 'not every device', { devices })
  const inside = await rt.run(['exec', id, 'cat', '/proc/self/cgroup'])
  t.match(inside.stdout, `memory:${spec.linux!.cgroupsPath}`, 'an exec\'d process joins the cgroup too')
  t.equal(await rt.run(['delete', '--force', id]).then(r => r.code), 0)
  for (const c of ['memory', 'cpu', 'pids', 'devices', 'freezer']) t.notOk(existsSync(cgroupDir(spec, c)), `the ${c} cgroup is gone after delete`)
})

t.test('/sys/fs/cgroup in the container shows its own cgroup (no cgroup namespace)', async t => {
  const f = await ocirt(t, spec => {
    spec.process!.args = ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max']
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 48 << 20 }, pids: { limit: 17 } }
  })
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), [String(48 << 20), '17'])
})

t.test('a memory limit is enforced: the process that allocates past it is OOM-killed, and events reports it', async t => {
  const f = await ocirt(t, spec => {
    spec.process!.args = ['sh', '-c', `${WAIT_GO}; tail -c 200000000 /dev/zero; echo "tail exited $?" > /shared/result`]
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 32 << 20, swap: 32 << 20 } }
  })
  t.equal((await f.rt.create(f.id, f.bundle.dir)).code, 0)
  const stats = await f.rt.run(['events', '--stats', f.id])
  t.equal(stats.code, 0, stats.stderr)
  const doc = JSON.parse(stats.stdout) as { type: string, id: string, data: { memory: { usage: { limit: number } }, pids: { current: number } } }
  t.equal(doc.type, 'stats')
  t.equal(doc.id, f.id)
  t.equal(doc.data.memory.usage.limit, 32 << 20, 'events --stats reports the limit')
  t.ok(doc.data.pids.current >= 1, 'and the processes')
  const events = f.rt.run(['events', '--interval', '1s', f.id], { timeoutMs: 30_000 })
  await sleep(300)
  t.equal((await f.rt.start(f.id)).code, 0)
  writeFileSync(join(f.bundle.shared, 'go'), '')
  const result = await waitForFile(join(f.bundle.shared, 'result'), 20_000)
  t.equal(result, 'tail exited 137\n', 'tail was SIGKILLed by the OOM killer')
  t.match(read(cgroupDir(f.bundle.spec, 'memory'), 'memory.oom_control'), /oom_kill [1-9]/, 'the kernel counts the OOM kill in the container\'s cgroup')
  const stream = await events
  t.equal(stream.code, 0, `events ends when the container stops: ${stream.stderr}`)
  const types = stream.stdout.trim().split('\n').map(l => (JSON.parse(l) as { type: string }).type)
  t.ok(types.includes('oom'), 'the stream reported the OOM kill', { types })
  t.ok(types.includes('stats'), 'and the usage', { types })
})

t.test('pids.max is enforced: forks past the limit fail', async t => {
  const f = await ocirt(t, spec => {
    // The shell notes each fork that worked, and gives up at the first that fails.
    spec.process!.args = ['sh', '-c', ': > /shared/started; for i in 1 2 3 4 5 6 7 8; do sleep 2 & echo $i >> /shared/started; done; wait']
    spec.linux!.resources = { ...spec.linux!.resources, pids: { limit: 4 } }
  })
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
  const started = readFileSync(join(f.bundle.shared, 'started'), 'utf8').trim().split('\n')
  t.equal(started.length, 3, 'the shell (one of the 4) could start exactly 3 more processes', { started, stderr: r.stderr })
  t.match(r.stderr, /can't fork/, 'then fork failed')
})

t.test('pause freezes the container (state says paused, nothing runs), resume thaws it', async t => {
  const { rt, id, shared } = await detached(t, 'i=0; while true; do i=$((i+1)); echo $i > /shared/count; sleep 0.02; done')
  const count = (): number => Number(readFileSync(join(shared, 'count'), 'utf8').trim() || '0')
  await waitFor(() => existsSync(join(shared, 'count')) && count() > 2, 5000)
  t.equal((await rt.run(['pause', id])).code, 0)
  t.equal((await rt.state(id)).status, 'paused')
  const frozenAt = count()
  await sleep(300)
  t.equal(count(), frozenAt, 'no progress while paused')
  const again = await rt.run(['pause', id])
  t.not(again.code, 0, 'pausing a paused container fails')
  t.match(again.stderr, /paused/)
  const exec = await rt.run(['exec', id, 'true'])
  t.not(exec.code, 0, 'exec into a paused container fails')
  t.equal((await rt.run(['resume', id])).code, 0)
  t.equal((await rt.state(id)).status, 'running')
  t.ok(await waitFor(() => count() > frozenAt + 2, 5000), 'it makes progress again')
  const resumeRunning = await rt.run(['resume', id])
  t.not(resumeRunning.code, 0, 'resuming a running container fails')
})

t.test('delete --force removes a paused container and its cgroup', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60 & sleep 60')
  const { pid } = await rt.state(id)
  t.equal((await rt.run(['pause', id])).code, 0)
  const plain = await rt.run(['delete', id])
  t.not(plain.code, 0, 'a plain delete refuses a paused container')
  t.match(plain.stderr, /paused/)
  const r = await rt.run(['delete', '--force', id])
  t.equal(r.code, 0, r.stderr)
  t.notOk(existsSync(`/proc/${pid!}/stat`) && !readFileSync(`/proc/${pid!}/stat`, 'utf8').includes(') Z '), 'the init is gone')
  t.notOk(existsSync(cgroupDir(spec, 'freezer')), 'its cgroup is gone')
  t.not((await rt.stateResult(id)).code, 0)
})

t.test('update changes limits live, from flags and from --resources, and keeps them in the state', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20 }, pids: { limit: 50 } }
  })
  const mem = cgroupDir(spec, 'memory')
  t.equal((await rt.run(['update', '--memory', '96m', '--pids-limit', '20', '--cpu-share', '256', id])).code, 0)
  t.equal(read(mem, 'memory.limit_in_bytes'), String(96 << 20))
  t.equal(read(cgroupDir(spec, 'pids'), 'pids.max'), '20')
  t.equal(read(cgroupDir(spec, 'cpu'), 'cpu.shares'), '256')
  const r = await rt.run(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 30 }, cpu: { quota: 20000, period: 100000 } }) })
  t.equal(r.code, 0, r.stderr)
  t.equal(read(cgroupDir(spec, 'pids'), 'pids.max'), '30')
  t.equal(read(cgroupDir(spec, 'cpu'), 'cpu.cfs_quota_us'), '20000')
  t.equal(read(mem, 'memory.limit_in_bytes'), String(96 << 20), 'fields not given are left as they were')
  const stats = JSON.parse((await rt.run(['events', '--stats', id])).stdout) as { data: { pids: { limit: number } } }
  t.equal(stats.data.pids.limit, 30)
  const bad = await rt.run(['update', '--memory', 'lots', id])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /--memory/, 'a bad flag value names the flag')
  const badDoc = await rt.run(['update', '--resources', '-', id], { input: '{"pids":{"limit":"x"}}' })
  t.not(badDoc.code, 0)
  t.match(badDoc.stderr, /\/pids\/limit/, 'a bad document names the JSON path')
  const refused = await rt.run(['update', '--cpuset-cpus', '999', id])
  t.not(refused.code, 0)
  t.match(refused.stderr, /\/linux\/resources\/cpu\/cpus: writing "999" to cpuset.cpus/, 'a value the kernel refuses names its field')
})

t.test('ps lists every process of the cgroup; kill --all reaches them without a pid namespace of their own', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60 & sleep 61 & wait', s => {
    s.linux!.namespaces = s.linux!.namespaces!.filter(n => n.type !== 'pid')
  })
  const procs = cgroupDir(spec, 'pids')
  await waitFor(() => read(procs, 'cgroup.procs').split('\n').length >= 3, 5000)
  const ps = await rt.run(['ps', '--format', 'json', id])
  t.equal(ps.code, 0, ps.stderr)
  const pids = JSON.parse(ps.stdout) as number[]
  t.same(pids, read(procs, 'cgroup.procs').split('\n').map(Number).sort((a, b) => a - b), 'ps --format json is the cgroup\'s processes')
  t.ok(pids.length >= 3, 'the init and its two sleeps', { pids })
  const table = await rt.run(['ps', id, '-o', 'pid,comm'])
  t.equal(table.stdout.split('\n').filter(l => /sleep/.test(l)).length, 2, 'ps passes options to ps(1) and keeps the container\'s lines')
  t.equal((await rt.run(['kill', '--all', id, 'KILL'])).code, 0)
  t.ok(await waitFor(() => read(procs, 'cgroup.procs') === '', 5000), 'every process of the cgroup is gone')
  t.equal((await rt.run(['delete', id])).code, 0)
  t.notOk(existsSync(procs))
})

t.test('device rules: a node the rules deny cannot be opened, one they allow can', async t => {
  const script = 'mknod /dev/xfuse c 10 229 && (cat /dev/xfuse 2>&1 | head -c 200; true)'
  const caps = (s: OciSpec): void => {
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_MKNOD')
  }
  const denied = await ocirt(t, s => { s.process!.args = ['sh', '-c', script]; caps(s) })
  const d = await denied.rt.run(['run', '--bundle', denied.bundle.dir, denied.id])
  t.match(d.stdout, /can't open '\/dev\/xfuse': Operation not permitted/, 'deny-all: open fails with EPERM', { stdout: d.stdout, stderr: d.stderr })
  const allowed = await ocirt(t, s => {
    s.process!.args = ['sh', '-c', script]
    caps(s)
    s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] }
  })
  const a = await allowed.rt.run(['run', '--bundle', allowed.bundle.dir, allowed.id])
  t.notMatch(a.stdout, /can't open/, 'an allow rule after it lets the open through (to the driver, which refuses the read)', { stdout: a.stdout })
  t.match(a.stdout, /read error/)
})

t.test('bad resources: a clear error naming the JSON path, and nothing left behind', async t => {
  for (const [name, resources, pointer] of [
    ['a CPU that does not exist', { cpu: { cpus: '4096' } }, '/linux/resources/cpu/cpus'],
    ['a controller this host has not mounted', { hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }, '/linux/resources/hugepageLimits/0/limit'],
    ['unified on a v1 host', { unified: { 'memory.high': '1' } }, '/linux/resources/unified'],
  ] as const) {
    const f = await ocirt(t, s => { s.linux!.resources = { ...s.linux!.resources, ...resources } })
    const r = await f.rt.create(f.id, f.bundle.dir)
    t.equal(r.code, 1, `${name}: create fails`)
    t.match(r.stderr, pointer, `${name}: the error names ${pointer}`)
    t.notOk(existsSync(cgroupDir(f.bundle.spec, 'memory')), `${name}: no cgroup is left`)
    t.not((await f.rt.stateResult(f.id)).code, 0, `${name}: no container is left`)
  }
})

t.test('a relative cgroupsPath is under the cgroup ocirt runs in (runc\'s rule), an absent one is the id', async t => {
  // ocirt runs in a cgroup of this test's own, so the relative paths land there.
  const runner = `${TEST_CGROUP_PARENT}/runner-${process.pid}-${Date.now()}`
  // The hybrid host's cgroup2 too: a relative path there is below our cgroup2 cgroup, and ocirt leaves the parents it made.
  const hierarchies = ['memory', 'pids', 'cpu', 'cpuset', 'freezer', 'devices', 'blkio', 'cpuacct', 'systemd', ...(existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? ['unified'] : [])]
  const made: string[] = []
  t.teardown(() => { for (const d of made.reverse()) try { rmdirSync(d) } catch {} })
  for (const h of hierarchies) {
    for (const dir of [`/sys/fs/cgroup/${h}${TEST_CGROUP_PARENT}`, `/sys/fs/cgroup/${h}${runner}`]) {
      if (!existsSync(dir)) { mkdirSync(dir); made.push(dir) }
      if (h === 'cpuset') for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, f), readFileSync(join(dir, '..', f), 'utf8').trim())
    }
  }
  for (const [label, path, expect] of [['relative', 'sub/leaf', `${runner}/sub/leaf`], ['absent', undefined, undefined]] as const) {
    const f = await ocirt(t, s => {
      s.process!.args = ['sh', '-c', 'grep memory /proc/self/cgroup']
      if (path === undefined) delete s.linux!.cgroupsPath
      else s.linux!.cgroupsPath = path
    })
    const moveSelf = hierarchies.map(h => `echo $$ > /sys/fs/cgroup/${h}${runner}/cgroup.procs`).join('; ')
    const out = execFileSync('sh', ['-c', `${moveSelf}; exec "$@"`, 'sh', OCIRT, '--root', join(f.bundle.dir, 'root'), 'run', '--bundle', f.bundle.dir, f.id], { encoding: 'utf8' })
    t.equal(out.trim().split(':')[2], expect ?? `${runner}/${f.id}`, `${label}: the container's cgroup`)
    t.notOk(existsSync(`/sys/fs/cgroup/memory${expect ?? `${runner}/${f.id}`}`), `${label}: removed after the run`)
    if (path !== undefined) made.push(`/sys/fs/cgroup/memory${runner}/sub`, ...hierarchies.filter(h => h !== 'memory').map(h => `/sys/fs/cgroup/${h}${runner}/sub`))
  }
})

t.test('an existing cgroup that has processes, or is frozen, is not fit for a new container (config-linux.md "Control groups")', async t => {
  const first = await detached(t, 'sleep 60')
  const taken = first.spec.linux?.cgroupsPath
  t.ok(taken, 'the first container has a cgroupsPath')
  const f = await ocirt(t, s => { if (taken !== undefined) s.linux!.cgroupsPath = taken; s.process!.args = ['true'] })
  const r = await f.rt.create(f.id, f.bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /\/linux\/cgroupsPath: the cgroup \/ocirt-tests\/\S+ already has processes \(1\)/)
  t.not((await f.rt.stateResult(f.id)).code, 0, 'no container is left')
  t.ok(existsSync(cgroupDir(first.spec, 'memory')), 'the first container\'s cgroup is untouched')
  // A frozen, empty cgroup: made by hand under the test parent.
  const path = `${TEST_CGROUP_PARENT}/frozen-${process.pid}`
  const freezer = `/sys/fs/cgroup/freezer${path}`
  mkdirSync(freezer, { recursive: true })
  t.teardown(() => { try { writeFileSync(join(freezer, 'freezer.state'), 'THAWED'); rmdirSync(freezer) } catch {} })
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN')
  const g = await ocirt(t, s => { s.linux!.cgroupsPath = path; s.process!.args = ['true'] })
  const rf = await g.rt.create(g.id, g.bundle.dir)
  t.equal(rf.code, 1)
  t.match(rf.stderr, /is frozen/)
  t.notOk(existsSync(`/sys/fs/cgroup/memory${path}`), 'the cgroups it made in the other hierarchies are removed again')
})

// (A per-device weight needs the BFQ scheduler on that disk; this host's disk has none, and the kernel refuses it.)
t.test('the rest of linux.resources on v1: memory OOM killer (kernelTCP ignored), CPU burst and idle, block IO weight and throttles', async t => {
  // The disk the host's / is on (its major:minor from /proc/partitions' first disk).
  const disk = readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).map(l => l.trim().split(/\s+/)).find(f => f.length === 4)
  t.ok(disk, 'the host has a block device')
  const [major, minor] = [Number(disk![0]), Number(disk![1])]
  const { spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = {
      ...s.linux!.resources,
      memory: { limit: 64 << 20, kernelTCP: 16 << 20, disableOOMKiller: true },
      cpu: { quota: 20000, period: 100000, burst: 10000, idle: 0 },
      blockIO: { weight: 300, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] },
    }
  })
  const mem = cgroupDir(spec, 'memory')
  t.not(read(mem, 'memory.kmem.tcp.limit_in_bytes'), String(16 << 20), 'kernelTCP is ignored, as runc 1.1.5 ignores it')
  t.match(read(mem, 'memory.oom_control'), /oom_kill_disable 1/)
  const cpu = cgroupDir(spec, 'cpu')
  t.equal(read(cpu, 'cpu.cfs_burst_us'), '10000')
  t.equal(read(cpu, 'cpu.idle'), '0')
  const blkio = cgroupDir(spec, 'blkio')
  const weightFile = existsSync(join(blkio, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight'
  t.match(read(blkio, weightFile), /300/, `the weight lands in ${weightFile}`)
  t.equal(read(blkio, 'blkio.throttle.read_bps_device'), `${major}:${minor} 1048576`)
  t.equal(read(blkio, 'blkio.throttle.write_iops_device'), `${major}:${minor} 100`)
})

// Issue 12: Docker's configs. Every `docker run` sends cpu.shares 0 and
// blockIO.weight 0, `docker update` sends 0 (and "" for the cpusets) for each
// field it is not changing; runc 1.1.5 takes all of them as "not set".
const UNLIMITED_V1 = '9223372036854771712'
const blkioWeight = (dir: string): string => read(dir, existsSync(join(dir, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight')

t.test('zeros Docker and podman send at create mean "not set", as in runc: the container starts with the kernel\'s defaults', async t => {
  const { spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = {
      ...s.linux!.resources,
      memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0 },
      cpu: { shares: 0, quota: 0, period: 0, realtimePeriod: 0, realtimeRuntime: 0, cpus: '', mems: '' },
      pids: { limit: 0 },
      blockIO: { weight: 0, leafWeight: 0 },
    }
  })
  const mem = cgroupDir(spec, 'memory')
  t.equal(read(mem, 'memory.limit_in_bytes'), UNLIMITED_V1, 'memory.limit 0: no limit')
  t.equal(read(mem, 'memory.memsw.limit_in_bytes'), UNLIMITED_V1, 'memory.swap 0: no limit')
  t.equal(read(mem, 'memory.soft_limit_in_bytes'), UNLIMITED_V1, 'memory.reservation 0: none')
  t.equal(read(cgroupDir(spec, 'cpu'), 'cpu.shares'), '1024', 'cpu.shares 0: the default 1024, not the minimum 2')
  t.equal(read(cgroupDir(spec, 'cpu'), 'cpu.cfs_quota_us'), '-1', 'cpu.quota 0: no quota')
  t.equal(read(cgroupDir(spec, 'cpu'), 'cpu.cfs_period_us'), '100000', 'cpu.period 0: the default period')
  t.equal(read(cgroupDir(spec, 'pids'), 'pids.max'), 'max', 'pids.limit 0: no limit (runc; conformance/deviations.md)')
  t.equal(blkioWeight(cgroupDir(spec, 'blkio')), '100', 'blockIO.weight 0: the default weight')
  t.not(read(cgroupDir(spec, 'cpuset'), 'cpuset.cpus'), '', 'cpu.cpus "": the parent\'s CPUs')
})

t.test('a block IO weight the kernel refuses names the file written (blkio.bfq.weight on this kernel)', async t => {
  const f = await ocirt(t, s => { s.linux!.resources = { ...s.linux!.resources, blockIO: { weight: 1001 } } })
  const r = await f.rt.create(f.id, f.bundle.dir)
  t.equal(r.code, 1)
  const file = existsSync('/sys/fs/cgroup/blkio/blkio.weight') ? 'blkio.weight' : 'blkio.bfq.weight'
  t.match(r.stderr, `/linux/resources/blockIO/weight: writing "1001" to ${file}: `)
  t.notOk(existsSync(cgroupDir(f.bundle.spec, 'blkio')), 'no cgroup is left')
})

t.test('docker update: its zeros leave fields as they are, and an update the kernel refuses changes nothing', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20 }, cpu: { shares: 512, quota: 50000, period: 100000 }, pids: { limit: 50 }, blockIO: { weight: 300 } }
  })
  const [mem, cpu, blkio] = [cgroupDir(spec, 'memory'), cgroupDir(spec, 'cpu'), cgroupDir(spec, 'blkio')]
  const cpus = read(cgroupDir(spec, 'cpuset'), 'cpuset.cpus')
  // What dockerd (through containerd's shim) sends for `docker update --memory 96m`.
  const dockerUpdate = {
    blockIO: { weight: 0 },
    cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' },
    memory: { limit: 96 << 20, reservation: 0, kernel: 0 },
  }
  const r = await rt.run(['update', '--resources', '-', id], { input: JSON.stringify(dockerUpdate) })
  t.equal(r.code, 0, r.stderr)
  t.equal(read(mem, 'memory.limit_in_bytes'), String(96 << 20), 'the one field given changes')
  t.equal(read(cpu, 'cpu.shares'), '512', 'cpu.shares 0 leaves the shares')
  t.equal(read(cpu, 'cpu.cfs_quota_us'), '50000', 'cpu.quota 0 leaves the quota')
  t.equal(read(cpu, 'cpu.cfs_period_us'), '100000', 'cpu.period 0 leaves the period')
  t.equal(read(cgroupDir(spec, 'pids'), 'pids.max'), '50')
  t.match(blkioWeight(blkio), /300/, 'blockIO.weight 0 leaves the weight')
  t.equal(read(cgroupDir(spec, 'cpuset'), 'cpuset.cpus'), cpus, 'cpus "" leaves the CPUs')
  const stats = JSON.parse((await rt.run(['events', '--stats', id])).stdout) as { data: { memory: { usage: { limit: number } } } }
  t.equal(stats.data.memory.usage.limit, 96 << 20)
  // The memory and shares are written before the cpuset the kernel refuses: both must be put back.
  const refused = await rt.run(['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 128 << 20 }, cpu: { shares: 300, quota: 20000, cpus: '4096' } }) })
  t.not(refused.code, 0)
  t.match(refused.stderr, '/linux/resources/cpu/cpus: writing "4096" to cpuset.cpus')
  t.equal(read(mem, 'memory.limit_in_bytes'), String(96 << 20), 'the memory limit is as before the refused update')
  t.equal(read(cpu, 'cpu.shares'), '512', 'the shares are as before')
  t.equal(read(cpu, 'cpu.cfs_quota_us'), '50000', 'the quota is as before')
  const after = JSON.parse((await rt.run(['events', '--stats', id])).stdout) as { data: { memory: { usage: { limit: number } } } }
  t.equal(after.data.memory.usage.limit, 96 << 20, 'and the state keeps the old values')
})

t.test('update --memory -1 with a finite swap limit lifts both (runc\'s setMemoryAndSwap)', async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60', s => {
    s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 << 20, swap: 128 << 20 } }
  })
  const mem = cgroupDir(spec, 'memory')
  const r = await rt.run(['update', '--memory', '-1', id])
  t.equal(r.code, 0, r.stderr)
  t.equal(read(mem, 'memory.limit_in_bytes'), UNLIMITED_V1)
  t.equal(read(mem, 'memory.memsw.limit_in_bytes'), UNLIMITED_V1)
  const again = await rt.run(['update', '--memory', '32m', '--memory-swap', '64m', id])
  t.equal(again.code, 0, `and a finite pair can be set again after: ${again.stderr}`)
  t.equal(read(mem, 'memory.limit_in_bytes'), String(32 << 20))
  t.equal(read(mem, 'memory.memsw.limit_in_bytes'), String(64 << 20))
})

t.test('cpuset: a parent cgroup with no CPUs and no memory nodes is filled from its own parent (runc\'s ensureParent)', async t => {
  const parent = `${TEST_CGROUP_PARENT}/empty-cpuset-${process.pid}-${Date.now()}`
  const made: string[] = []
  for (const dir of [`/sys/fs/cgroup/cpuset${TEST_CGROUP_PARENT}`, `/sys/fs/cgroup/cpuset${parent}`]) {
    if (!existsSync(dir)) { mkdirSync(dir); made.push(dir) }
  }
  t.equal(read(`/sys/fs/cgroup/cpuset${parent}`, 'cpuset.cpus'), '', 'the parent starts empty')
  const f = await ocirt(t, s => { s.linux!.cgroupsPath = `${parent}/leaf`; s.process!.args = ['true'] })
  // ocirt makes the parent in every other hierarchy (and only removes the leaf): those are this test's too.
  t.teardown(() => {
    for (const h of readdirSync('/sys/fs/cgroup')) if (h !== 'cpuset') try { rmdirSync(`/sys/fs/cgroup/${h}${parent}`) } catch {}
    for (const d of made.reverse()) try { rmdirSync(d) } catch {}
  })
  const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
  t.equal(r.code, 0, `run: ${r.stderr}`)
  t.equal(read(`/sys/fs/cgroup/cpuset${parent}`, 'cpuset.cpus'), read('/sys/fs/cgroup/cpuset', 'cpuset.cpus'), 'the parent got the CPUs of its own parent')
  t.equal(read(`/sys/fs/cgroup/cpuset${parent}`, 'cpuset.mems'), read('/sys/fs/cgroup/cpuset', 'cpuset.mems'), 'and the memory nodes')
})

t.test('hybrid host: the container has a cgroup in the cgroup2 hierarchy at /sys/fs/cgroup/unified too, removed at delete', { skip: !existsSync('/sys/fs/cgroup/unified/cgroup.procs') && 'no cgroup2 at /sys/fs/cgroup/unified' }, async t => {
  const { rt, id, spec } = await detached(t, 'sleep 60')
  const path = spec.linux!.cgroupsPath!
  const { pid } = await rt.state(id)
  t.match(readFileSync(`/proc/${pid!}/cgroup`, 'utf8'), new RegExp(`^0::${path}$`, 'm'), 'the init\'s 0:: line is the container\'s path')
  t.ok(read(`/sys/fs/cgroup/unified${path}`, 'cgroup.procs').split('\n').includes(String(pid)), 'the init is in it')
  const inside = await rt.run(['exec', id, 'cat', '/proc/self/cgroup'])
  t.match(inside.stdout, new RegExp(`^0::${path}$`, 'm'), 'an exec\'d process joins it too')
  const mounted = await rt.run(['exec', id, 'ls', '/sys/fs/cgroup/unified'])
  t.match(mounted.stdout, /cgroup\.procs/, 'the container sees a cgroup2 directory', { stdout: mounted.stdout })
  t.notMatch(mounted.stdout, TEST_CGROUP_PARENT.slice(1), 'its own cgroup, not the root with the test parent in it')
  t.equal((await rt.run(['delete', '--force', id])).code, 0)
  t.notOk(existsSync(`/sys/fs/cgroup/unified${path}`), 'gone after delete')
})

// Issue 15: without devices rules a v1 cgroup inherited "a *:* rwm", and a
// container that could mknod wrote to the host's /dev/kmsg.
t.test('v1 devices: with no linux.resources.devices, or [], a node the container makes cannot be opened (deny-all, then the defaults)', async t => {
  for (const [label, devices] of [['absent', undefined], ['[]', []]] as const) {
    const f = await ocirt(t, s => {
      // Opening for writing is enough to show the cgroup lets it through (and writes nothing to the host's log).
      s.process!.args = ['sh', '-c', 'mknod /dev/kmsg2 c 1 11 && if (: > /dev/kmsg2); then echo opened; else echo denied; fi; (: > /dev/null) && echo null-ok']
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_MKNOD')
      if (devices === undefined) delete s.linux!.resources!.devices
      else s.linux!.resources!.devices = [...devices]
    })
    const r = await f.rt.run(['run', '--bundle', f.bundle.dir, f.id])
    t.equal(r.code, 0, `${label}: ${r.stderr}`)
    t.match(r.stdout, /denied/, `${label}: /dev/kmsg's numbers cannot be opened`, { stdout: r.stdout, stderr: r.stderr })
    t.match(r.stdout, /null-ok/, `${label}: the default devices can`)
  }
})

// What made test/rootless.test.ts flaky: a root ocirt under umask 000 (test/security-local.test.ts item 5) made
// /ocirt-tests 0777, so a rootless create running beside it made a cgroup of its own below, which it could not enter.
t.test('under umask 000 the cgroup directories ocirt makes are 0755 (runc\'s mode): no other user can make cgroups in them', async t => {
  const f = await ocirt(t, s => { s.process!.args = ['true'] })
  const parent = `${TEST_CGROUP_PARENT}/${f.id}-parent`
  const path = `${parent}/leaf`
  const spec = f.bundle.readConfig()
  spec.linux!.cgroupsPath = path
  f.bundle.writeConfig(spec)
  const root = join(f.bundle.dir, 'root')
  t.teardown(() => {
    spawnSync(OCIRT, ['--root', root, 'delete', '--force', f.id], { timeout: 10_000 })
    for (const m of cgroupMounts()) for (const d of [path, parent]) try { rmdirSync(join(m, d)) } catch {}
  })
  // stdio to a file: the created init holds it until start, and a pipe would keep spawnSync waiting.
  const errFile = join(f.bundle.dir, 'create.err')
  const err = openSync(errFile, 'w')
  const r = spawnSync('sh', ['-c', 'umask 000; exec "$@"', 'sh', OCIRT, '--root', root, 'create', '--bundle', f.bundle.dir, f.id], { stdio: ['ignore', err, err], timeout: 10_000 })
  closeSync(err)
  t.equal(r.status, 0, readFileSync(errFile, 'utf8'))
  for (const m of cgroupMounts()) {
    for (const d of [parent, path]) t.equal((statSync(join(m, d)).mode & 0o777).toString(8), '755', `${join(m, d)} is 0755`)
  }
})

// delete rmdirs each hierarchy's cgroup at once and lists it only when the
// kernel refuses with EBUSY (issue 11: listing all ten v1 hierarchies first
// cost delete 70 syscalls). Both paths: cgroups made below the container's
// (as a systemd inside it would) are removed first; without any, delete
// opens no cgroup directory.
t.test('delete removes cgroups made below the container\'s, and lists a cgroup directory only when it has some', async t => {
  t.equal(spawnSync('strace', ['-V']).status, 0, 'strace is installed (scripts/install-deps.sh)')
  for (const nested of [true, false]) {
    // A stopped container whose init is reaped: a zombie would still keep its cgroup busy.
    const { rt, id, spec } = await detached(t, 'true')
    const { pid } = await rt.state(id)
    t.ok(await waitFor(() => { reapOrphans(); return !existsSync(`/proc/${pid!}`) }), 'the init exited and was reaped')
    const path = spec.linux!.cgroupsPath!
    const below = nested ? [`${path}/sub`, `${path}/sub/deeper`] : []
    t.teardown(() => { for (const m of cgroupMounts()) for (const d of [...below].reverse()) try { rmdirSync(join(m, d)) } catch {} })
    for (const m of cgroupMounts()) for (const d of below) mkdirSync(join(m, d))
    const trace = join(rt.root, `delete-${String(nested)}.trace`)
    const r = spawnSync('strace', ['-qq', '-e', 'trace=openat,rmdir', '-o', trace, OCIRT, '--root', rt.root, 'delete', id], { encoding: 'utf8', timeout: 30_000 })
    t.equal(r.status, 0, `delete (${r.stderr})`)
    for (const m of cgroupMounts()) t.notOk(existsSync(join(m, path)), `${join(m, path)} is gone`)
    const listed = readFileSync(trace, 'utf8').split('\n').filter(l => l.startsWith('openat(') && l.includes('/sys/fs/cgroup/') && l.includes('O_DIRECTORY'))
    if (nested) t.ok(listed.length > 0, 'the cgroups with children were listed')
    else t.same(listed, [], 'no cgroup directory was listed')
  }
})
