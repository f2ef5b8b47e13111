/**
 * The semantic rules of src/spec/semantic.ts: for each, a config that passes
 * and one that fails with the expected pointer and message. The configs are
 * `runc spec` (runc 1.1.5) with one change.
 */
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../src/errors.js'
import { CAPABILITIES, capabilityNumber } from '../src/spec/linux-names.js'
import { checkFeatures } from '../src/spec/semantic.js'
import { lintConfig, parseConfig, requireProcess } from '../src/spec/validate.js'
import type { Spec } from '../src/spec/types.js'

const runcSpecText = readFileSync(new URL('./fixtures/configs/runc-1.1.5-spec.json', import.meta.url), 'utf8')

/** The runc spec config with `change` applied (it receives `any` to build invalid shapes freely). */
function configWith (change: (spec: any) => void): string {
  const spec = JSON.parse(runcSpecText)
  change(spec)
  return JSON.stringify(spec)
}

function passes (t: Test, name: string, change: (spec: any) => void): Spec | undefined {
  let spec: Spec | undefined
  t.doesNotThrow(() => { spec = parseConfig(configWith(change)) }, `passes: ${name}`)
  return spec
}

function fails (t: Test, name: string, change: (spec: any) => void, pointer: string, message: RegExp): void {
  let error: unknown
  try {
    parseConfig(configWith(change))
  } catch (e) {
    error = e
  }
  if (!(error instanceof ConfigError)) {
    t.fail(`fails: ${name}: expected a ConfigError`, { got: error })
    return
  }
  t.equal(error.pointer, pointer, `fails: ${name}: at ${pointer}`)
  t.match(error.message, message, `fails: ${name}: ${error.message}`)
  t.ok(error.message.startsWith(`config.json: ${pointer === '' ? '/' : pointer}: `), `fails: ${name}: message names file and pointer`)
}

const namespace = (type: string, path?: string): object => path === undefined ? { type } : { type, path }
const withoutNamespace = (type: string) => (s: any): void => { s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== type) }

// ---------------------------------------------------------------- version, root, process

t.test('ociVersion is SemVer with major version 1 (config.md#specification-version)', async t => {
  passes(t, '1.3.0', s => { s.ociVersion = '1.3.0' })
  passes(t, '1.0.2-dev', s => { s.ociVersion = '1.0.2-dev' })
  passes(t, '1.4.0+build.5 (newer minor)', s => { s.ociVersion = '1.4.0+build.5' })
  fails(t, '2.0.0', s => { s.ociVersion = '2.0.0' }, '/ociVersion', /unsupported specification version "2\.0\.0": this runtime implements 1\.3\.0 and accepts 1\.x$/)
  fails(t, '0.5.0-dev', s => { s.ociVersion = '0.5.0-dev' }, '/ociVersion', /unsupported specification version/)
  fails(t, 'leading zero', s => { s.ociVersion = '1.03.0' }, '/ociVersion', /must be a SemVer 2\.0\.0 version/)
})

t.test('root is required on Linux (config.md#root)', async t => {
  passes(t, 'absolute root path', s => { s.root = { path: '/var/lib/rootfs' } })
  fails(t, 'no root', s => { delete s.root }, '', /missing required property "root" \(REQUIRED on Linux/)
  fails(t, 'empty root path', s => { s.root.path = '' }, '/root/path', /must not be empty$/)
})

t.test('start requires a process (runtime.md#start)', async t => {
  const spec = parseConfig(runcSpecText)
  t.same(requireProcess(spec).args, ['sh'])
  const withoutProcess = parseConfig(configWith(s => { delete s.process }))
  t.throws(() => requireProcess(withoutProcess), { message: 'config.json: /: missing required property "process": the start operation needs a process to run (runtime.md#start)' })
})

t.test('process.cwd is absolute (config.md#process)', async t => {
  passes(t, '/home', s => { s.process.cwd = '/home' })
  fails(t, 'relative', s => { s.process.cwd = 'home' }, '/process/cwd', /must be an absolute path \(got "home"\)$/)
})

t.test('process.args has at least the program (config.md#process)', async t => {
  passes(t, 'two args', s => { s.process.args = ['sh', '-c', 'true'] })
  fails(t, 'no args', s => { delete s.process.args }, '/process', /missing required property "args"/)
  fails(t, 'empty args', s => { s.process.args = [] }, '/process/args', /must contain at least the program to run$/)
  fails(t, 'empty program', s => { s.process.args = [''] }, '/process/args/0', /the program to run must not be empty$/)
  fails(t, 'NUL in an argument', s => { s.process.args = ['sh', 'a\0b'] }, '/process/args/1', /must not contain NUL characters$/)
})

t.test('process.env entries are KEY=value (config.md#process)', async t => {
  passes(t, 'empty value and = in value', s => { s.process.env = ['EMPTY=', 'EQ=a=b'] })
  fails(t, 'no =', s => { s.process.env.push('JUSTNAME') }, '/process/env/2', /must have the form KEY=value \(got "JUSTNAME"\)$/)
  fails(t, 'empty name', s => { s.process.env = ['=value'] }, '/process/env/0', /the variable name must not be empty/)
  fails(t, 'NUL', s => { s.process.env = ['A=b\0c'] }, '/process/env/0', /NUL/)
})

t.test('process.user has uid and gid on POSIX (config.md#user)', async t => {
  passes(t, 'no user at all', s => { delete s.process.user })
  fails(t, 'no gid', s => { s.process.user = { uid: 0 } }, '/process/user', /missing required property "gid"/)
})

t.test('rlimits: known types, no duplicates, soft <= hard (config.md#posix-process)', async t => {
  passes(t, 'several', s => { s.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }] })
  fails(t, 'unknown type', s => { s.process.rlimits[0].type = 'RLIMIT_FOO' }, '/process/rlimits/0/type', /unknown resource "RLIMIT_FOO"; Linux knows RLIMIT_AS, .*RLIMIT_STACK$/)
  fails(t, 'duplicate', s => { s.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }) }, '/process/rlimits/1/type', /duplicate rlimit "RLIMIT_NOFILE" \(already at \/process\/rlimits\/0\)$/)
  fails(t, 'soft > hard', s => { s.process.rlimits[0].soft = 2048 }, '/process/rlimits/0/soft', /soft limit 2048 exceeds hard limit 1024$/)
})

t.test('capabilities are known names (config.md#linux-process)', async t => {
  t.equal(CAPABILITIES.length, 41)
  t.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40)
  t.equal(capabilityNumber('CAP_BPF'), 39)
  passes(t, 'all 41', s => { s.process.capabilities.bounding = [...CAPABILITIES] })
  fails(t, 'unknown', s => { s.process.capabilities.ambient = ['CAP_KILL', 'CAP_SUPERPOWER'] }, '/process/capabilities/ambient/1',
    /unknown capability "CAP_SUPERPOWER"; known capabilities are CAP_CHOWN, CAP_DAC_OVERRIDE, .*, CAP_BPF, CAP_CHECKPOINT_RESTORE$/)
  fails(t, 'lower case', s => { s.process.capabilities.effective = ['cap_kill'] }, '/process/capabilities/effective/0', /must be a capability name such as "CAP_CHOWN"/)
})

t.test('oomScoreAdj is within -1000..1000', async t => {
  passes(t, '-1000', s => { s.process.oomScoreAdj = -1000 })
  fails(t, '1001', s => { s.process.oomScoreAdj = 1001 }, '/process/oomScoreAdj', /must be between -1000 and 1000/)
})

t.test('scheduler values that sched_setattr(2) accepts (config.md#linux-process)', async t => {
  passes(t, 'SCHED_FIFO priority 10', s => { s.process.scheduler = { policy: 'SCHED_FIFO', priority: 10 } })
  passes(t, 'SCHED_OTHER nice -5', s => { s.process.scheduler = { policy: 'SCHED_OTHER', nice: -5, flags: ['SCHED_FLAG_RESET_ON_FORK'] } })
  passes(t, 'SCHED_DEADLINE', s => { s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10000000, deadline: 30000000, period: 30000000 } })
  fails(t, 'unknown policy', s => { s.process.scheduler = { policy: 'SCHED_NORMAL' } }, '/process/scheduler/policy', /must be one of "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE" \(got "SCHED_NORMAL"\)$/)
  fails(t, 'nice 20', s => { s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 } }, '/process/scheduler/nice', /between -20 and 19/)
  fails(t, 'SCHED_RR without priority', s => { s.process.scheduler = { policy: 'SCHED_RR' } }, '/process/scheduler', /SCHED_RR needs a priority between 1 and 99 \(got 0\)$/)
  fails(t, 'SCHED_BATCH with priority', s => { s.process.scheduler = { policy: 'SCHED_BATCH', priority: 5 } }, '/process/scheduler/priority', /applies to SCHED_FIFO and SCHED_RR only/)
  fails(t, 'period outside SCHED_DEADLINE', s => { s.process.scheduler = { policy: 'SCHED_OTHER', period: 5 } }, '/process/scheduler/period', /applies to SCHED_DEADLINE only/)
  fails(t, 'runtime > deadline', s => { s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 2, deadline: 1 } }, '/process/scheduler/runtime', /must not exceed deadline/)
})

t.test('ioPriority: class names and priority 0..7 (config.md#linux-process)', async t => {
  passes(t, 'IDLE 7', s => { s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 7 } })
  fails(t, 'priority 8', s => { s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 } }, '/process/ioPriority/priority', /between 0 \(highest\) and 7 \(lowest\) \(got 8\)$/)
  fails(t, 'unknown class', s => { s.process.ioPriority = { class: 'IOPRIO_CLASS_NONE', priority: 0 } }, '/process/ioPriority/class', /must be one of "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"/)
  fails(t, 'no priority', s => { s.process.ioPriority = { class: 'IOPRIO_CLASS_BE' } }, '/process/ioPriority', /missing required property "priority"$/)
})

t.test('execCPUAffinity holds CPU lists (config.md#linux-process)', async t => {
  passes(t, '0-3,7', s => { s.process.execCPUAffinity = { initial: '7', final: '0-3,7' } })
  fails(t, 'reversed range', s => { s.process.execCPUAffinity = { final: '3-1' } }, '/process/execCPUAffinity/final', /range "3-1" ends before it starts$/)
  fails(t, 'letters', s => { s.process.execCPUAffinity = { initial: 'all' } }, '/process/execCPUAffinity/initial', /must be a list of CPUs such as "0-3,7"/)
})

// ------------------------------------------------------------------- mounts, hooks, hostname

t.test('mount destinations (config.md#mounts)', async t => {
  const spec = passes(t, 'relative destination (deprecated, resolved against /)', s => { s.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' }) })
  if (spec !== undefined) t.match(lintConfig(spec), [/^\/mounts\/7\/destination: relative destinations are deprecated; "data" is taken relative to "\/"$/])
  fails(t, 'empty destination', s => { s.mounts[0].destination = '' }, '/mounts/0/destination', /must not be empty$/)
})

t.test('idmapped mounts (config.md#linux-mount-options)', async t => {
  const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }]
  passes(t, 'idmap with mappings on the mount', s => { s.mounts.push({ destination: '/data', source: '/srv', options: ['rbind', 'idmap'], uidMappings: mapping, gidMappings: mapping }) })
  passes(t, 'idmap with a user namespace', s => {
    s.mounts.push({ destination: '/data', source: '/srv', options: ['rbind', 'ridmap'] })
    s.linux.namespaces.push(namespace('user'))
    s.linux.uidMappings = mapping
    s.linux.gidMappings = mapping
  })
  fails(t, 'idmap without mappings or user namespace', s => { s.mounts.push({ destination: '/data', source: '/srv', options: ['rbind', 'idmap'] }) },
    '/mounts/7/options/1', /"idmap" needs uidMappings and gidMappings on the mount or a "user" namespace$/)
  fails(t, 'uidMappings without gidMappings', s => { s.mounts[0].uidMappings = mapping }, '/mounts/0', /"uidMappings" requires "gidMappings" to be set as well$/)
  fails(t, 'empty mapping', s => { s.mounts[0].uidMappings = [{ containerID: 0, hostID: 0, size: 0 }]; s.mounts[0].gidMappings = mapping }, '/mounts/0/uidMappings/0/size', /must be at least 1$/)
})

t.test('hooks: absolute paths, positive timeouts, environ entries (config.md#posix-platform-hooks)', async t => {
  passes(t, 'all hooks', s => {
    const hook = { path: '/usr/bin/hook', args: ['hook', 'x'], env: ['A=b'], timeout: 5 }
    s.hooks = { prestart: [hook], createRuntime: [hook], createContainer: [hook], startContainer: [hook], poststart: [hook], poststop: [hook], futureHook: 'ignored' }
  })
  fails(t, 'relative path', s => { s.hooks = { createRuntime: [{ path: 'hook' }] } }, '/hooks/createRuntime/0/path', /must be an absolute path/)
  fails(t, 'timeout 0', s => { s.hooks = { poststart: [{ path: '/hook', timeout: 0 }] } }, '/hooks/poststart/0/timeout', /must be >= 1 \(got 0\)$/)
  fails(t, 'bad env', s => { s.hooks = { poststop: [{ path: '/hook', env: ['A=1', 'B'] }] } }, '/hooks/poststop/0/env/1', /must have the form KEY=value/)
})

t.test('hostname and domainname need a UTS namespace', async t => {
  passes(t, 'hostname with uts', s => { s.hostname = 'box'; s.domainname = 'example.org' })
  passes(t, 'empty hostname without uts', s => { s.hostname = ''; withoutNamespace('uts')(s) })
  fails(t, 'hostname without uts', withoutNamespace('uts'), '/hostname', /setting the hostname needs a "uts" namespace/)
  fails(t, 'domainname without uts', s => { delete s.hostname; s.domainname = 'x'; withoutNamespace('uts')(s) }, '/domainname', /needs a "uts" namespace/)
  fails(t, '65-byte hostname', s => { s.hostname = 'h'.repeat(65) }, '/hostname', /at most 64 bytes/)
})

// ----------------------------------------------------------------------------- namespaces

t.test('namespaces: known types, unique, absolute paths (config-linux.md#namespaces)', async t => {
  passes(t, 'all eight types', s => {
    s.linux.namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'time'].map(type => namespace(type))
    s.linux.namespaces.push(namespace('user', '/proc/1/ns/user'))
  })
  fails(t, 'duplicate', s => { s.linux.namespaces.push(namespace('pid', '/proc/1/ns/pid')) }, '/linux/namespaces/5/type', /duplicate namespace type "pid" \(already at \/linux\/namespaces\/0\)$/)
  fails(t, 'unknown type', s => { s.linux.namespaces[0].type = 'process' }, '/linux/namespaces/0/type', /must be one of "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" \(got "process"\)$/)
  fails(t, 'relative path', s => { s.linux.namespaces[1].path = 'proc/1/ns/net' }, '/linux/namespaces/1/path', /must be an absolute path \(starting with "\/"\) \(got "proc\/1\/ns\/net"\)$/)
})

t.test('uidMappings/gidMappings need a user namespace (config-linux.md#user-namespace-mappings)', async t => {
  const mapping = [{ containerID: 0, hostID: 1000, size: 1 }]
  passes(t, 'with a user namespace', s => { s.linux.namespaces.push(namespace('user')); s.linux.uidMappings = mapping; s.linux.gidMappings = mapping })
  passes(t, 'user namespace without mappings (the runtime picks one, like crun)', s => { s.linux.namespaces.push(namespace('user')) })
  fails(t, 'without a user namespace', s => { s.linux.uidMappings = mapping; s.linux.gidMappings = mapping }, '/linux/uidMappings', /uidMappings need a "user" namespace/)
  fails(t, 'range overflow', s => { s.linux.namespaces.push(namespace('user')); s.linux.gidMappings = [{ containerID: 0, hostID: 4294967295, size: 2 }] }, '/linux/gidMappings/0', /hostID \+ size exceeds the 32-bit ID space$/)
})

t.test('timeOffsets need a new time namespace (config-linux.md#offset-for-time-namespace)', async t => {
  const offsets = { monotonic: { secs: 172800, nanosecs: 0 }, boottime: { secs: -5 } }
  passes(t, 'with a time namespace', s => { s.linux.namespaces.push(namespace('time')); s.linux.timeOffsets = offsets })
  fails(t, 'without a time namespace', s => { s.linux.timeOffsets = offsets }, '/linux/timeOffsets', /timeOffsets need a "time" namespace/)
  fails(t, 'joined time namespace', s => { s.linux.namespaces.push(namespace('time', '/proc/1/ns/time')); s.linux.timeOffsets = offsets }, '/linux/timeOffsets', /cannot be set on a joined time namespace \(\/linux\/namespaces\/5 has a path\)$/)
  fails(t, 'unknown clock', s => { s.linux.namespaces.push(namespace('time')); s.linux.timeOffsets = { realtime: { secs: 1 } } }, '/linux/timeOffsets/realtime', /unknown clock "realtime"/)
  fails(t, 'nanosecs >= 1e9', s => { s.linux.namespaces.push(namespace('time')); s.linux.timeOffsets = { boottime: { nanosecs: 1000000000 } } }, '/linux/timeOffsets/boottime/nanosecs', /less than 1000000000/)
})

// -------------------------------------------------------------------------------- devices

t.test('devices (config-linux.md#devices)', async t => {
  passes(t, 'char device and fifo', s => {
    s.linux.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
      { path: '/srv/fifo', type: 'p' }
    ]
  })
  fails(t, 'block device without minor', s => { s.linux.devices = [{ path: '/dev/sda', type: 'b', major: 8 }] }, '/linux/devices/0', /missing required property "minor"$/)
  fails(t, 'unknown type', s => { s.linux.devices = [{ path: '/dev/x', type: 'x' }] }, '/linux/devices/0/type', /must be one of "c", "b", "u", "p"/)
  fails(t, 'relative path', s => { s.linux.devices = [{ path: 'dev/fuse', type: 'c', major: 10, minor: 229 }] }, '/linux/devices/0/path', /must be an absolute path/)
  fails(t, 'two devices at one path', s => {
    s.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 3 }, { path: '/dev/x', type: 'c', major: 1, minor: 5 }]
  }, '/linux/devices/1/path', /"\/dev\/x" is already a different device at \/linux\/devices\/0$/)
})

t.test('maskedPaths and readonlyPaths are absolute (config-linux.md#masked-paths)', async t => {
  passes(t, 'absolute', s => { s.linux.maskedPaths.push('/proc/foo'); s.linux.readonlyPaths.push('/sys') })
  fails(t, 'relative masked path', s => { s.linux.maskedPaths.push('proc/foo') }, '/linux/maskedPaths/10', /must be an absolute path/)
  fails(t, 'relative readonly path', s => { s.linux.readonlyPaths[0] = 'proc/bus' }, '/linux/readonlyPaths/0', /must be an absolute path/)
})

// ---------------------------------------------------------------------------------- sysctl

t.test('sysctl keys are well-formed and namespaced (config-linux.md#sysctl)', async t => {
  passes(t, 'net, ipc and uts sysctls', s => {
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'net/ipv4/conf/eth0.100/forwarding': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x' }
  })
  fails(t, 'net sysctl without network namespace', s => { withoutNamespace('network')(s); s.linux.sysctl = { 'net.core.somaxconn': '256' } }, '/linux/sysctl/net.core.somaxconn', /"net\.core\.somaxconn" needs a "network" namespace/)
  fails(t, 'not namespaced', s => { s.linux.sysctl = { 'vm.swappiness': '0' } }, '/linux/sysctl/vm.swappiness', /is not namespaced: setting it would change the host's value$/)
  fails(t, 'kernel.hostname', s => { s.linux.sysctl = { 'kernel.hostname': 'x' } }, '/linux/sysctl/kernel.hostname', /set the hostname with \/hostname/)
  fails(t, 'malformed', s => { s.linux.sysctl = { 'net..ipv4': '1' } }, '/linux/sysctl/net..ipv4', /is not a sysctl name/)
  fails(t, 'path escape (slash form)', s => { s.linux.sysctl = { 'net/../../etc': '1' } }, '/linux/sysctl/net~1..~1..~1etc', /is not a sysctl name/)
  fails(t, 'value not a string', s => { s.linux.sysctl = { 'net.ipv4.ip_forward': 1 } }, '/linux/sysctl/net.ipv4.ip_forward', /expected a string, got the integer 1$/)
})

// -------------------------------------------------------------------------------- cgroups

t.test('cgroupsPath (config-linux.md#cgroups-path)', async t => {
  passes(t, 'absolute', s => { s.linux.cgroupsPath = '/k8s.io/abc' })
  passes(t, 'relative', s => { s.linux.cgroupsPath = 'mygroup/abc' })
  passes(t, 'systemd slice:prefix:name', s => { s.linux.cgroupsPath = 'system.slice:ocirt:abc' })
  fails(t, '..', s => { s.linux.cgroupsPath = '/a/../../b' }, '/linux/cgroupsPath', /must not contain "\.\." components/)
  fails(t, 'not a string', s => { s.linux.cgroupsPath = 5 }, '/linux/cgroupsPath', /expected a string, got the integer 5$/)
})

t.test('resources (config-linux.md#control-groups)', async t => {
  passes(t, 'typical limits', s => {
    s.linux.resources = {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
      memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 60 },
      cpu: { shares: 1024, quota: 100000, burst: 50000, period: 100000, cpus: '0-3,7', mems: '0' },
      pids: { limit: -1 },
      blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, leafWeight: 300 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
      rdma: { mlx5_1: { hcaHandles: 3 } },
      unified: { 'memory.high': '500M', 'io.max': '8:0 rbps=2097152' }
    }
  })
  passes(t, 'swappiness 2^64-1 (-1 as uint64: unset)', s => { s.linux.resources.memory = { swappiness: 18446744073709551615 } })
  fails(t, 'swappiness 101', s => { s.linux.resources.memory = { swappiness: 101 } }, '/linux/resources/memory/swappiness', /between 0 and 100/)
  fails(t, 'swap below limit', s => { s.linux.resources.memory = { limit: 2048, swap: 1024 } }, '/linux/resources/memory/swap', /must not be below the memory limit/)
  fails(t, 'burst above quota', s => { s.linux.resources.cpu = { quota: 1000, burst: 2000 } }, '/linux/resources/cpu/burst', /must not exceed quota \(2000 > 1000\)$/)
  fails(t, 'bad cpuset', s => { s.linux.resources.cpu = { cpus: '0-3;7' } }, '/linux/resources/cpu/cpus', /must be a CPU list such as "0-3,7"/)
  fails(t, 'weightDevice without weights', s => { s.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0 }] } }, '/linux/resources/blockIO/weightDevice/0', /at least one of "weight" and "leafWeight"/)
  fails(t, 'throttle without rate', s => { s.linux.resources.blockIO = { throttleWriteIOPSDevice: [{ major: 8, minor: 0 }] } }, '/linux/resources/blockIO/throttleWriteIOPSDevice/0', /missing required property "rate"$/)
  fails(t, 'rdma entry without limits', s => { s.linux.resources.rdma = { mlx4_0: {} } }, '/linux/resources/rdma/mlx4_0', /at least one of "hcaHandles" and "hcaObjects"/)
  fails(t, 'unified path', s => { s.linux.resources.unified = { '../cgroup.procs': '1' } }, '/linux/resources/unified/..~1cgroup.procs', /is not the name of a file in the container's cgroup$/)
  fails(t, 'device cgroup type', s => { s.linux.resources.devices = [{ allow: true, type: 'p' }] }, '/linux/resources/devices/0/type', /must be one of "a", "c", "b"/)
})

// --------------------------------------------------------------------------------- seccomp

t.test('seccomp (config-linux.md#seccomp)', async t => {
  const base = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], flags: ['SECCOMP_FILTER_FLAG_LOG'] }
  passes(t, 'typical profile', s => {
    s.linux.seccomp = {
      ...base,
      listenerPath: '/run/agent.sock',
      listenerMetadata: 'x',
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 5, value: 1, op: 'SCMP_CMP_EQ' }] }
      ]
    }
  })
  fails(t, 'errnoRet with SCMP_ACT_ALLOW', s => { s.linux.seccomp = { ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] } },
    '/linux/seccomp/syscalls/0/errnoRet', /action SCMP_ACT_ALLOW does not return an errno/)
  fails(t, 'defaultErrnoRet with SCMP_ACT_KILL', s => { s.linux.seccomp = { ...base, defaultAction: 'SCMP_ACT_KILL' } }, '/linux/seccomp/defaultErrnoRet', /defaultAction SCMP_ACT_KILL does not return an errno/)
  fails(t, 'SCMP_ACT_NOTIFY by default', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/a' } }, '/linux/seccomp/defaultAction', /cannot be the default action/)
  fails(t, 'SCMP_ACT_NOTIFY without listener', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] } },
    '/linux/seccomp/syscalls/0/action', /SCMP_ACT_NOTIFY needs \/linux\/seccomp\/listenerPath$/)
  fails(t, 'argument index 6', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] } },
    '/linux/seccomp/syscalls/0/args/0/index', /must be between 0 and 5/)
  fails(t, 'unknown action', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'ALLOW' }] } }, '/linux/seccomp/syscalls/0/action', /must be one of "SCMP_ACT_KILL"/)
  fails(t, 'unknown arch', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] } }, '/linux/seccomp/architectures/0', /must be one of "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"/)
  fails(t, 'unknown operator', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 0, op: '==' }] }] } }, '/linux/seccomp/syscalls/0/args/0/op', /must be one of "SCMP_CMP_NE"/)
  fails(t, 'unknown flag', s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] } }, '/linux/seccomp/flags/0', /must be one of "SECCOMP_FILTER_FLAG_TSYNC"/)
  fails(t, 'no defaultAction', s => { s.linux.seccomp = { syscalls: [] } }, '/linux/seccomp', /missing required property "defaultAction"$/)
})

// --------------------------------------------------------------- netDevices, personality, memoryPolicy, intelRdt

t.test('netDevices (config-linux.md#network-devices)', async t => {
  passes(t, 'renamed and templated', s => { s.linux.netDevices = { eth0: { name: 'ctr0' }, ens4: {}, ens5: { name: 'net%d' }, ens6: { name: 'net%d' } } })
  fails(t, 'without a network namespace', s => { withoutNamespace('network')(s); s.linux.netDevices = { eth0: {} } }, '/linux/netDevices', /network devices need a "network" namespace/)
  fails(t, 'name too long', s => { s.linux.netDevices = { eth0: { name: 'a-very-long-interface' } } }, '/linux/netDevices/eth0/name', /is not a valid interface name/)
  fails(t, 'host name with a slash', s => { s.linux.netDevices = { 'a/b': {} } }, '/linux/netDevices/a~1b', /is not a valid interface name/)
  fails(t, 'same name twice', s => { s.linux.netDevices = { eth0: { name: 'ctr0' }, eth1: { name: 'ctr0' } } }, '/linux/netDevices/eth1', /"eth1" and "eth0" would both be named "ctr0" in the container$/)
})

t.test('personality (config-linux.md#personality)', async t => {
  passes(t, 'LINUX32', s => { s.linux.personality = { domain: 'LINUX32' } })
  fails(t, 'no domain', s => { s.linux.personality = { flags: [] } }, '/linux/personality', /missing required property "domain"$/)
  fails(t, 'unknown domain', s => { s.linux.personality = { domain: 'BSD' } }, '/linux/personality/domain', /must be one of "LINUX", "LINUX32" \(got "BSD"\)$/)
  fails(t, 'flags', s => { s.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] } }, '/linux/personality/flags/0', /unsupported personality flag "ADDR_NO_RANDOMIZE": runtime-spec 1\.3\.0 defines none$/)
})

t.test('memoryPolicy (config-linux.md#memory-policy)', async t => {
  passes(t, 'interleave', s => { s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '2-3', flags: ['MPOL_F_STATIC_NODES'] } })
  passes(t, 'local', s => { s.linux.memoryPolicy = { mode: 'MPOL_LOCAL' } })
  fails(t, 'bind without nodes', s => { s.linux.memoryPolicy = { mode: 'MPOL_BIND' } }, '/linux/memoryPolicy', /MPOL_BIND needs at least one node$/)
  fails(t, 'default with nodes', s => { s.linux.memoryPolicy = { mode: 'MPOL_DEFAULT', nodes: '0' } }, '/linux/memoryPolicy/nodes', /MPOL_DEFAULT takes no nodes/)
  fails(t, 'static and relative', s => { s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] } }, '/linux/memoryPolicy/flags', /cannot be used together/)
  fails(t, 'unknown mode', s => { s.linux.memoryPolicy = { mode: 'MPOL_RANDOM' } }, '/linux/memoryPolicy/mode', /must be one of "MPOL_DEFAULT"/)
})

t.test('intelRdt (config-linux.md#intelrdt)', async t => {
  passes(t, 'closID and schemata', s => { s.linux.intelRdt = { closID: 'guaranteed_group', schemata: ['L3:0=7f0;1=1f', 'MB:0=20;1=70'], memBwSchema: 'MB:0=20', enableMonitoring: true } })
  passes(t, 'default group', s => { s.linux.intelRdt = { closID: '/' } })
  fails(t, 'closID path', s => { s.linux.intelRdt = { closID: '../other' } }, '/linux/intelRdt/closID', /is not a resctrl group name/)
  fails(t, 'schemata line with newline', s => { s.linux.intelRdt = { schemata: ['L3:0=7f0\nMB:0=20'] } }, '/linux/intelRdt/schemata/0', /must not contain newlines/)
})

// ----------------------------------------------------------------------------- annotations

t.test('annotations (config.md#annotations)', async t => {
  const spec = passes(t, 'reverse-domain keys and spec-defined keys', s => { s.annotations = { 'com.example.gpu-cores': '2', 'org.opencontainers.image.os': 'linux', 'io.kubernetes.cri.sandbox-id': '' } })
  if (spec !== undefined) t.same(lintConfig(spec), [])
  fails(t, 'empty key', s => { s.annotations = { '': 'x' } }, '/annotations', /property name "" must not be empty$/)
  fails(t, 'non-string value', s => { s.annotations = { 'com.example.n': 2 } }, '/annotations/com.example.n', /expected a string, got the integer 2$/)
})

// ------------------------------------------------------------------------------------ lint

t.test('lintConfig reports SHOULD-level advice as warnings', async t => {
  const spec = parseConfig(configWith(s => {
    s.ociVersion = '1.5.0'
    s.root.path = '/srv/rootfs'
    s.process.terminal = false
    s.process.consoleSize = { height: 25, width: 80 }
    s.process.execCPUAffinity = { final: '0' }
    s.mounts = s.mounts.filter((m: any) => m.destination !== '/dev/shm')
    s.mounts.push({ destination: 'tmp', type: 'tmpfs', source: 'tmpfs' })
    s.mounts.push({ destination: '/data', source: '/srv', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] })
    s.hooks = { prestart: [{ path: '/bin/true' }] }
    s.annotations = { 'org.opencontainers.custom': 'x', myKey: 'y' }
    s.linux.devices = [{ path: '/dev/a', type: 'c', major: 1, minor: 3 }, { path: '/dev/b', type: 'c', major: 1, minor: 3 }]
    s.linux.resources.memory = { kernel: -1 }
    s.linux.intelRdt = { l3CacheSchema: '0=7f0' }
  }))
  t.same(lintConfig(spec), [
    '/ociVersion: 1.5.0 is newer than 1.3.0, the version this runtime implements; properties it does not know are ignored',
    '/root/path: "/srv/rootfs" is not the conventional "rootfs"',
    '/process/consoleSize: ignored because /process/terminal is not true',
    '/process/execCPUAffinity: ignored for the container\'s init process; it applies to exec only',
    '/mounts/6/destination: relative destinations are deprecated; "tmp" is taken relative to "/"',
    '/mounts/7/options: a mount with uidMappings and gidMappings should have the "idmap" or "ridmap" option',
    '/mounts: no mount for /dev/shm, which should be available in every Linux container',
    '/hooks/prestart: prestart hooks are deprecated; use createRuntime, createContainer or startContainer hooks',
    '/annotations/org.opencontainers.custom: keys in the org.opencontainers namespace are reserved for the specification, which does not define this one',
    '/annotations/myKey: annotation keys should use reverse domain notation, e.g. "com.example.key"',
    '/linux/devices/1: same type, major and minor as /linux/devices/0',
    '/linux/resources/memory/kernel: kernel memory limits are not recommended (cgroup v2 and recent kernels ignore them)',
    '/linux/intelRdt/l3CacheSchema: should start with "L3:" and contain no newlines'
  ])
  t.same(lintConfig(parseConfig(runcSpecText)), [], 'runc spec follows every SHOULD')
})

t.test('features: ociVersionMax is not less than ociVersionMin (features.md)', async t => {
  t.doesNotThrow(() => checkFeatures({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0-rc.1' }))
  t.throws(() => checkFeatures({ ociVersionMin: '1.3.0', ociVersionMax: '1.3.0-rc.1' }), { message: 'features.json: /ociVersionMax: "1.3.0-rc.1" is less than ociVersionMin "1.3.0"' })
})
