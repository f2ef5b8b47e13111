// Rootless: ocirt run by an unprivileged user (as runc --rootless). The
// caller is a throwaway uid that is in no /etc/passwd (setpriv switches to
// it, with no groups and no capabilities); its containers live in a user
// namespace that maps its own ids, and their state under $XDG_RUNTIME_DIR.
// Also: a root-run container whose user namespace runs the process as a
// non-root uid.
import t from 'tap'
import { chmodSync, chownSync, closeSync, readSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { randomInt } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { OciSpec } from '../conformance/lib/bundle.js'
import { bundleFor, cgroupMounts, sleep, TEST_CGROUP_PARENT } from '../conformance/lib/harness.js'
import { ensureSubreaper, killAndReap, reapOrphans, spawnTracked } from '../conformance/lib/reaper.js'
import { OCIRT, ocirt } from './lib/ocirt.js'
import { processesOfUid } from './clients/lib/rootless.js'
import { UsageError } from '../src/errors.js'
import { defaultStateRoot, resolveRootless } from '../src/cli/privilege.js'
import { honorsXdgRuntimeDir, isInitialUidMap, rootlessByDefault } from '../src/linux/host-facts.js'
import { buildPlan } from '../src/linux/plan.js'
import type { Caller as PlanCaller } from '../src/linux/rootless.js'
import { grantedRanges } from '../src/linux/rootless.js'
import { parseConfig } from '../src/spec/validate.js'
import { DumpableUntil } from '../src/generated/plan.js'
import { loadNative } from '../src/native.js'

type Test = Parameters<typeof bundleFor>[0]

interface Caller {
  uid: number
  gid: number
  /** Owned by the caller: its XDG_RUNTIME_DIR and the output files live here. */
  base: string
  xdg: string
  ids: Set<string>
}

interface Result { code: number | null, stdout: string, stderr: string }

interface RunAs {
  /** Environment beyond PATH; XDG_RUNTIME_DIR defaults to the caller's. */
  env?: Record<string, string | undefined>
  /** Global flags put before the command. */
  globals?: string[]
  /** Command words put before setpriv (prlimit, or unshare with a setup script). */
  prefix?: string[]
  /** Run ocirt as root of the user namespace of this process of the caller's (as podman and buildah call the runtime, from theirs). */
  userNamespaceOf?: number
  timeoutMs?: number
}

/**
 * Whether this kernel lets an unprivileged user make a user namespace (a
 * distribution may forbid it: kernel.unprivileged_userns_clone=0, or a
 * seccomp profile around the test run). Without that there is no rootless
 * container to test, and the tests that need one say so as skipped.
 */
const USERNS_DENIED = spawnSync('setpriv', ['--reuid=65533', '--regid=65533', '--clear-groups', 'unshare', '--user', 'true']).status !== 0 &&
  'unprivileged user namespaces are not allowed on this host'

function rootlessTest (name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: USERNS_DENIED }, fn)
}

/** pids whose real uid is `uid` (the uid is ours alone: any such process is the test's). */
const processesOf = processesOfUid

function unusedUid (): number {
  const passwd = readFileSync('/etc/passwd', 'utf8')
  while (true) {
    const uid = 1000 + randomInt(20000, 60000)
    if (!passwd.split('\n').some(l => l.split(':')[2] === String(uid)) && processesOf(uid).length === 0) return uid
  }
}

/** Runs dist/ocirt as the caller, its stdio in files (a container's stdout outlives the call). */
async function ocirtAs (caller: Caller, args: string[], opts: RunAs = {}): Promise<Result> {
  const cmd = args.find(a => !a.startsWith('-'))
  const id = args[args.length - 1]
  if ((cmd === 'create' || cmd === 'run') && id !== undefined && !id.startsWith('-')) caller.ids.add(id)
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', XDG_RUNTIME_DIR: caller.xdg, ...opts.env }
  const envWords = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v ?? ''}`)
  const words = [...(opts.prefix ?? []), 'setpriv', `--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--clear-groups', '--inh-caps=-all',
    '--', ...(opts.userNamespaceOf !== undefined ? ['nsenter', '--preserve-credentials', `--user=/proc/${opts.userNamespaceOf}/ns/user`] : []), 'env', '-i', ...envWords, OCIRT, ...(opts.globals ?? []), ...args]
  const io = mkdtempSync(join(caller.base, 'io-'))
  const out = openSync(join(io, 'out'), 'a')
  const err = openSync(join(io, 'err'), 'a')
  const [program = 'setpriv', ...programArgs] = words
  const child = spawnTracked(program, programArgs, { stdio: ['ignore', out, err] })
  closeSync(out)
  closeSync(err)
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, opts.timeoutMs ?? 15_000)
    child.once('error', e => { clearTimeout(timer); reject(e) })
    child.once('exit', c => { clearTimeout(timer); resolve(c) })
  })
  return { code, stdout: readFileSync(join(io, 'out'), 'utf8'), stderr: readFileSync(join(io, 'err'), 'utf8') }
}

/** A fresh unprivileged caller; at teardown its containers are force-deleted and its processes killed. */
function unprivilegedCaller (t: Test): Caller {
  ensureSubreaper()
  const uid = unusedUid()
  const base = mkdtempSync(join(tmpdir(), 'ocirt-rootless-'))
  const xdg = join(base, 'xdg')
  mkdirSync(xdg, { mode: 0o700 })
  for (const dir of [base, xdg]) chownSync(dir, uid, uid)
  chmodSync(base, 0o755)
  const caller: Caller = { uid, gid: uid, base, xdg, ids: new Set() }
  t.teardown(async () => {
    for (const id of caller.ids) await ocirtAs(caller, ['delete', '--force', id]).catch(() => {})
    for (const pid of processesOf(uid)) await killAndReap(pid)
    reapOrphans()
    rmSync(base, { recursive: true, force: true })
  })
  return caller
}

/** runc's ToRootless, written out here: user namespace with the caller's ids, no network namespace, /sys bound, no uid=/gid= options. */
function toRootless (spec: OciSpec, caller: Caller): void {
  const linux = spec.linux!
  linux.namespaces = [...linux.namespaces!.filter(n => n.type !== 'network' && n.type !== 'user'), { type: 'user' }]
  linux.uidMappings = [{ containerID: 0, hostID: caller.uid, size: 1 }]
  linux.gidMappings = [{ containerID: 0, hostID: caller.gid, size: 1 }]
  delete linux.resources
  spec.mounts = rootlessMounts(spec.mounts!)
}

/** runc's rootless mounts: /sys a read-only bind of the host's (no sysfs without a network namespace), no uid=/gid= options (the ids are not mapped). */
function rootlessMounts (mounts: NonNullable<OciSpec['mounts']>): NonNullable<OciSpec['mounts']> {
  return mounts.map(m => m.destination === '/sys'
    ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : { ...m, ...(m.options !== undefined ? { options: m.options.filter(o => !/^[ug]id=/.test(o)) } : {}) })
}

/** A bundle (root's, readable by all) whose config is made rootless for the caller, then `configure`d. */
function rootlessBundle (t: Test, caller: Caller, configure?: (spec: OciSpec) => void): ReturnType<typeof bundleFor> {
  const bundle = bundleFor(t, spec => { toRootless(spec, caller); configure?.(spec) }, { shared: true })
  chmodSync(bundle.dir, 0o755)
  return bundle
}

/**
 * A container id of this run alone: a rootless create joins `<own cgroup>/<id>`
 * if it exists, so a fixed id could meet another run's or another test's cgroup.
 */
const uniqueId = (name: string): string => `${name}-${process.pid}-${randomInt(1_000_000)}`

const mapLines = (text: string | undefined): string[] => (text ?? '').trim().split('\n').map(l => l.trim().split(/\s+/).join(' '))

/** What an unprivileged caller leaves: no process, no state dir, no host mount of its files. */
function assertNothingLeft (t: Test, caller: Caller): void {
  t.same(processesOf(caller.uid), [], 'no process of the caller left')
  const stateRoot = join(caller.xdg, 'ocirt')
  t.same(existsSync(stateRoot) ? readdirSync(stateRoot) : [], [], 'no state dir left')
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => l.includes(caller.base))
  t.same(mounts, [], 'no host mount of the caller\'s files')
}

rootlessTest('an unprivileged caller runs a container as root of a user namespace that maps only its own ids', async t => {
  const caller = unprivilegedCaller(t)
  const script = 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; cat /proc/self/setgroups; grep -E "^(Uid|Gid):" /proc/self/status; ' +
    'ls /sys/fs/cgroup | wc -l; touch /shared/made-inside; exit 7'
  const bundle = rootlessBundle(t, caller, spec => {
    spec.process!.args = ['sh', '-c', script]
    // A cgroup namespace the user namespace owns: the hierarchies are mounted afresh in it.
    spec.linux!.namespaces!.push({ type: 'cgroup' })
  })
  const r = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-run')])
  t.equal(r.code, 7, `the program's exit status comes back (${r.stderr})`)
  const lines = r.stdout.trim().split('\n')
  t.same(lines.slice(0, 2), ['0', '0'], 'uid and gid 0 inside')
  t.same(mapLines(lines[2]), [`0 ${caller.uid} 1`], 'uid_map: the single mapping of the caller\'s uid')
  t.same(mapLines(lines[3]), [`0 ${caller.gid} 1`], 'gid_map: the single mapping of the caller\'s gid')
  t.equal(lines[4], 'deny', 'setgroups is denied (written before gid_map)')
  t.match(lines[5], /^Uid:\s+0\s+0\s+0\s+0$/)
  t.ok(Number(lines[7]) > 0, `/sys/fs/cgroup holds the hierarchies (${lines[7]})`)
  t.equal(statSync(join(bundle.shared, 'made-inside')).uid, caller.uid, 'a file root makes inside belongs to the caller on the host')
  assertNothingLeft(t, caller)
})

rootlessTest('create, start, state, exec, kill, delete under the default state root $XDG_RUNTIME_DIR/ocirt', async t => {
  const caller = unprivilegedCaller(t)
  const bundle = rootlessBundle(t, caller, spec => { spec.process!.args = ['sleep', '60'] })
  const id = uniqueId('rl-life')
  const created = await ocirtAs(caller, ['create', '--bundle', bundle.dir, id])
  t.equal(created.code, 0, created.stderr)
  const stateFile = join(caller.xdg, 'ocirt', id, 'state.json')
  t.ok(existsSync(stateFile), 'state.json is under $XDG_RUNTIME_DIR/ocirt')
  t.equal(statSync(stateFile).uid, caller.uid, 'and belongs to the caller')
  const state = async (): Promise<{ status: string, pid: number }> => JSON.parse((await ocirtAs(caller, ['state', id])).stdout) as { status: string, pid: number }
  const s = await state()
  t.equal(s.status, 'created')
  t.match(readFileSync(`/proc/${s.pid}/status`, 'utf8'), new RegExp(`\\nUid:\\t${caller.uid}\\t`), 'the init runs as the caller on the host')
  // As runc's: exec into a created container works (the init stays dumpable
  // until exec, since the caller cannot write the ocirt binary, root's).
  const early = await ocirtAs(caller, ['exec', id, 'sh', '-c', 'readlink /proc/self/ns/pid; exit 3'])
  t.equal(early.code, 3, `exec into the created container (${early.stderr})`)
  t.equal(early.stdout.trim(), readlinkSync(`/proc/${s.pid}/ns/pid`), 'in the created container\'s pid namespace')
  t.equal((await ocirtAs(caller, ['start', id])).code, 0)
  t.equal((await state()).status, 'running')
  const list = await ocirtAs(caller, ['list', '-q'])
  t.equal(list.stdout.trim(), id, 'list reads the same default root')
  const exec = await ocirtAs(caller, ['exec', id, 'sh', '-c', 'id -u; cat /proc/self/setgroups; readlink /proc/self/ns/pid; exit 4'])
  t.equal(exec.code, 4, `exec's exit status comes back (${exec.stderr})`)
  const [uid, setgroups, pidns] = exec.stdout.trim().split('\n')
  t.equal(uid, '0')
  t.equal(setgroups, 'deny')
  t.equal(pidns, readlinkSync(`/proc/${s.pid}/ns/pid`), 'the exec\'d process is in the container\'s pid namespace')
  t.equal((await ocirtAs(caller, ['kill', id, 'KILL'])).code, 0)
  let status = ''
  for (let i = 0; i < 100 && status !== 'stopped'; i++) {
    status = (await state()).status
    if (status !== 'stopped') await sleep(50)
  }
  t.equal(status, 'stopped', 'stopped after SIGKILL')
  const del = await ocirtAs(caller, ['delete', id])
  t.equal(del.code, 0, del.stderr)
  t.notOk(existsSync(join(caller.xdg, 'ocirt', id)), 'delete removed the state dir')
  assertNothingLeft(t, caller)
})

rootlessTest('spec --rootless writes the config runc spec --rootless writes, and it runs unchanged but for its program', async t => {
  const caller = unprivilegedCaller(t)
  const ours = bundleFor(t, undefined, { noConfig: true })
  const runcs = mkdtempSync(join(caller.base, 'runc-spec-'))
  for (const dir of [ours.dir, runcs]) { chownSync(dir, caller.uid, caller.gid); chmodSync(dir, 0o755) }
  // spec needs no state dir: it works without XDG_RUNTIME_DIR.
  const r = await ocirtAs(caller, ['spec', '--rootless', '--bundle', ours.dir], { env: { XDG_RUNTIME_DIR: undefined } })
  t.equal(r.code, 0, r.stderr)
  const spec = JSON.parse(readFileSync(ours.configPath, 'utf8')) as OciSpec
  const peer = spawnSync('setpriv', [`--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--clear-groups', 'runc', 'spec', '--rootless'], { cwd: runcs, encoding: 'utf8' })
  t.equal(peer.status, 0, peer.stderr)
  const runc = JSON.parse(readFileSync(join(runcs, 'config.json'), 'utf8')) as OciSpec
  for (const key of ['namespaces', 'uidMappings', 'gidMappings', 'resources', 'maskedPaths', 'readonlyPaths'] as const) {
    t.same(spec.linux![key], runc.linux![key], `linux.${key} as runc's`)
  }
  t.same(spec.mounts, runc.mounts, 'mounts as runc\'s')
  spec.process!.args = ['sh', '-c', 'cat /proc/self/uid_map; grep " /sys " /proc/self/mountinfo']
  writeFileSync(ours.configPath, JSON.stringify(spec))
  const run = await ocirtAs(caller, ['run', '--bundle', ours.dir, uniqueId('rl-spec')])
  t.equal(run.code, 0, run.stderr)
  const [uidMap, sys] = run.stdout.trim().split('\n')
  t.same(mapLines(uidMap), [`0 ${caller.uid} 1`])
  t.match(sys, / \/sys ro,.* - sysfs /, '/sys is the host\'s sysfs, bound read-only')
  assertNothingLeft(t, caller)
})

/** A character device of the host that is not one of the default devices, with its numbers. */
function hostCharDevice (): { path: string, major: number, minor: number } {
  for (const path of ['/dev/kmsg', '/dev/fuse', '/dev/loop-control', '/dev/console']) {
    try {
      const st = statSync(path)
      if (st.isCharacterDevice()) return { path, major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) }
    } catch {}
  }
  throw new Error('no character device to test with in /dev')
}

rootlessTest('a device in linux.devices is the host\'s node bind-mounted (mknod is not allowed); a FIFO is made', async t => {
  const caller = unprivilegedCaller(t)
  const dev = hostCharDevice()
  const bundle = rootlessBundle(t, caller, spec => {
    spec.linux!.devices = [{ path: dev.path, type: 'c', major: dev.major, minor: dev.minor }, { path: '/dev/ocirt-fifo', type: 'p' }]
    spec.process!.args = ['sh', '-c', `stat -c '%F %t %T' ${dev.path}; grep -c " ${dev.path} " /proc/self/mountinfo; [ -p /dev/ocirt-fifo ] && echo fifo`]
  })
  const r = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-dev')])
  t.equal(r.code, 0, r.stderr)
  const [kind, mounted, fifo] = r.stdout.trim().split('\n')
  t.equal(kind, `character special file ${dev.major.toString(16)} ${dev.minor.toString(16)}`, `${dev.path} is the device`)
  t.equal(mounted, '1', `${dev.path} is a mount point: the host's node bound`)
  t.equal(fifo, 'fifo')
  assertNothingLeft(t, caller)
})

rootlessTest('process.terminal: the pty master of the container\'s own devpts goes to --console-socket', async t => {
  const caller = unprivilegedCaller(t)
  const bundle = rootlessBundle(t, caller, spec => {
    spec.process!.terminal = true
    spec.process!.args = ['sh', '-c', 'tty; id -u']
  })
  const native = loadNative()
  const socket = join(caller.base, 'console.sock')
  const listenFd = native.listenUnix(socket)
  chmodSync(socket, 0o777)
  t.teardown(() => { closeSync(listenFd) })
  const id = uniqueId('rl-tty')
  const created = await ocirtAs(caller, ['create', '--console-socket', socket, '--bundle', bundle.dir, id])
  t.equal(created.code, 0, created.stderr)
  const got = native.receiveFd(listenFd, 0)
  t.ok(got !== null, 'the master arrived')
  if (got === null) return
  t.teardown(() => { try { closeSync(got.fd) } catch {} })
  t.equal((await ocirtAs(caller, ['start', id])).code, 0)
  let out = ''
  const buf = Buffer.alloc(4096)
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    let n = 0
    try { n = readSync(got.fd, buf) } catch (e) { if ((e as NodeJS.ErrnoException).code === 'EIO') break; throw e }
    if (n === 0) break
    out += buf.subarray(0, n).toString()
  }
  t.same(out.replace(/\r\n/g, '\n').trim().split('\n'), ['/dev/pts/0', '0'], 'the program\'s stdio is the pty')
  t.equal((await ocirtAs(caller, ['delete', '--force', id])).code, 0)
  assertNothingLeft(t, caller)
})

rootlessTest('hooks: createRuntime as the caller; createContainer and startContainer in the container\'s user namespace', async t => {
  const caller = unprivilegedCaller(t)
  const bundle = rootlessBundle(t, caller, spec => {
    const shared = spec.mounts!.find(m => m.destination === '/shared')!.source!
    const hook = (script: string): { path: string, args: string[] } => ({ path: '/bin/sh', args: ['sh', '-c', script] })
    spec.hooks = {
      createRuntime: [hook(`id -u > ${shared}/createRuntime`)],
      // Before pivot_root: the host's paths, in the container's namespaces.
      createContainer: [hook(`readlink /proc/self/ns/user > ${shared}/createContainer`)],
      startContainer: [hook('readlink /proc/self/ns/user > /shared/startContainer')],
      poststop: [hook(`echo done > ${shared}/poststop`)],
    }
    spec.process!.args = ['sh', '-c', 'readlink /proc/self/ns/user > /shared/program']
  })
  const r = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-hooks')])
  t.equal(r.code, 0, r.stderr)
  const read = (name: string): string => readFileSync(join(bundle.shared, name), 'utf8').trim()
  t.equal(read('createRuntime'), String(caller.uid), 'createRuntime runs as the caller, on the host')
  const userns = read('program')
  t.not(userns, readlinkSync('/proc/self/ns/user'), 'the container has a user namespace of its own')
  t.equal(read('createContainer'), userns, 'createContainer joined it')
  t.equal(read('startContainer'), userns, 'startContainer joined it')
  t.equal(read('poststop'), 'done')
  assertNothingLeft(t, caller)
})

interface ErrorCase {
  name: string
  configure: (spec: OciSpec, caller: Caller) => void
  error: RegExp
  opts?: (caller: Caller) => RunAs
}

const errorCases: ErrorCase[] = [
  {
    name: 'a device the host does not have (no mknod without CAP_MKNOD)',
    configure: s => { s.linux!.devices = [{ path: '/dev/ocirt-test-nodev', type: 'c', major: 1, minor: 3 }] },
    error: /config\.json: \/linux\/devices\/0: mknod needs CAP_MKNOD in the initial user namespace: not possible in a user namespace, and the host has nothing at \/dev\/ocirt-test-nodev/,
  },
  {
    name: 'a device whose host node is another device',
    configure: s => { s.linux!.devices = [{ path: '/dev/zero', type: 'c', major: 1, minor: 3 }] },
    error: /\/linux\/devices\/0: mknod needs CAP_MKNOD .* the host has c 1:5 at \/dev\/zero to bind-mount instead of c 1:3/,
  },
  {
    name: 'no user namespace',
    configure: s => {
      s.linux!.namespaces = s.linux!.namespaces!.filter(n => n.type !== 'user')
      delete s.linux!.uidMappings
      delete s.linux!.gidMappings
    },
    error: /config\.json: \/linux\/namespaces: ocirt runs without CAP_SYS_ADMIN \(uid \d+\): the container needs a new user namespace/,
  },
  {
    name: 'sysfs without a network namespace',
    configure: s => { s.mounts![5] = { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } },
    error: /config\.json: \/mounts\/5: sysfs in a new user namespace needs a new network namespace .*or bind the host's \/sys/,
  },
  {
    name: 'proc without a pid namespace',
    configure: s => { s.linux!.namespaces = s.linux!.namespaces!.filter(n => n.type !== 'pid') },
    error: /config\.json: \/mounts\/0: proc in a new user namespace needs a new pid namespace/,
  },
  {
    name: 'a gid= mount option for a gid the namespace does not map',
    configure: s => { s.mounts!.find(m => m.type === 'devpts')!.options!.push('gid=5') },
    error: /config\.json: \/mounts\/2\/options\/5: gid=5: gid 5 is not mapped in \/linux\/gidMappings/,
  },
  {
    name: 'a process uid the namespace does not map',
    configure: s => { s.process!.user = { uid: 1000, gid: 0 } },
    error: /config\.json: \/process\/user\/uid: uid 1000 is not mapped in \/linux\/uidMappings/,
  },
  {
    name: 'additional groups where setgroups is denied',
    configure: s => { s.process!.user = { uid: 0, gid: 0, additionalGids: [0] } },
    error: /config\.json: \/process\/user\/additionalGids: setgroups is denied in a user namespace whose gid map ocirt writes without CAP_SETGID/,
  },
  {
    name: 'host uids that /etc/subuid does not grant',
    configure: (s, caller) => { s.linux!.uidMappings = [{ containerID: 0, hostID: caller.uid, size: 1 }, { containerID: 1, hostID: 3000000000, size: 1000 }] },
    error: /config\.json: \/linux\/uidMappings\/1: host uids 3000000000-3000000999 are not granted to uid \d+ in \/etc\/subuid/,
  },
  {
    // Found by the init after clone: the failure path must leave nothing either.
    name: 'an rlimit above the caller\'s hard limit',
    configure: s => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }] },
    opts: () => ({ prefix: ['prlimit', '--nofile=512:512', '--'] }),
    error: /config\.json \/process\/rlimits\/0: setrlimit: operation not permitted \(raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace\)/,
  },
  {
    // Written by the parent after clone.
    name: 'an oom_score_adj below the caller\'s',
    configure: s => { s.process!.oomScoreAdj = -999 },
    error: /config\.json \/process\/oomScoreAdj: writing -999 to \/proc\/PID\/oom_score_adj: permission denied \(lowering it below ocirt's own needs CAP_SYS_RESOURCE\)/,
  },
  {
    name: 'cgroup limits, which need a cgroup the caller cannot make',
    configure: s => { s.linux!.resources = { pids: { limit: 10 } } },
    error: /config\.json: \/linux\/resources: limits need a cgroup of the container's own, which ocirt cannot make without privilege \(rootless/,
  },
  {
    name: '--rootless false: a cgroup that cannot be made is an error even without limits',
    configure: () => {},
    opts: () => ({ globals: ['--rootless', 'false'] }),
    error: /config\.json: \/linux\/cgroupsPath: creating the cgroup: EACCES/,
  },
  {
    name: 'no XDG_RUNTIME_DIR and no --root',
    configure: () => {},
    opts: () => ({ env: { XDG_RUNTIME_DIR: undefined } }),
    error: /ocirt runs as uid \d+ \(not root\), whose default --root is \$XDG_RUNTIME_DIR\/ocirt, and XDG_RUNTIME_DIR is not set; set it or pass --root DIR/,
  },
  {
    name: 'an XDG_RUNTIME_DIR the caller cannot write',
    configure: () => {},
    opts: () => ({ env: { XDG_RUNTIME_DIR: '/root' } }),
    error: /mkdir \/root\/ocirt: permission denied: the state root \/root\/ocirt is not writable by uid \d+; pass --root DIR/,
  },
]

for (const c of errorCases) {
  rootlessTest(`rootless create fails clearly and leaves nothing: ${c.name}`, async t => {
    const caller = unprivilegedCaller(t)
    const bundle = rootlessBundle(t, caller, spec => { spec.process!.args = ['true']; c.configure(spec, caller) })
    const r = await ocirtAs(caller, ['create', '--bundle', bundle.dir, uniqueId('rl-err')], c.opts?.(caller))
    t.equal(r.code, 1, 'exit code 1')
    t.match(r.stderr, c.error)
    t.notMatch(r.stderr, /internal error/)
    assertNothingLeft(t, caller)
  })
}

/**
 * Runs the caller's ocirt in a private mount namespace whose /etc is an
 * overlay granting it `subuid`/`subgid` ranges (and a passwd entry, which
 * newuidmap needs), so the host's /etc is never written. `extra` is more setup.
 */
function withGrants (caller: Caller, grants: { passwd: boolean, subuid: string, subgid: string }, extra = ''): string[] {
  const upper = mkdtempSync(join(caller.base, 'etc-upper-'))
  const work = mkdtempSync(join(caller.base, 'etc-work-'))
  // The caller reads /etc through the upper dir: it must not be mkdtemp's 0700.
  chmodSync(upper, 0o755)
  const setup = [
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc`,
    grants.passwd ? `echo "ocirt-rl:x:${caller.uid}:${caller.gid}::/nonexistent:/bin/false" >> /etc/passwd` : 'true',
    `echo "${grants.subuid}" > /etc/subuid`,
    `echo "${grants.subgid}" > /etc/subgid`,
    extra,
    'exec "$@"',
  ].filter(l => l !== '').join(' && ')
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-ec', setup, 'sh']
}

rootlessTest('ranges /etc/subuid grants are mapped by newuidmap/newgidmap: a non-root user inside, groups allowed', async t => {
  const caller = unprivilegedCaller(t)
  const sub = 1_000_000 + randomInt(0, 1000) * 65536
  const maps = [{ containerID: 0, hostID: caller.uid, size: 1 }, { containerID: 1, hostID: sub, size: 65536 }]
  const bundle = rootlessBundle(t, caller, spec => {
    spec.linux!.uidMappings = maps
    spec.linux!.gidMappings = maps.map(m => ({ ...m, hostID: m.hostID === caller.uid ? caller.gid : m.hostID }))
    spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [1001] }
    spec.process!.args = ['sh', '-c', 'cat /proc/self/uid_map; cat /proc/self/setgroups; id; touch /shared/by-1000']
  })
  const prefix = withGrants(caller, { passwd: true, subuid: `ocirt-rl:${sub}:65536`, subgid: `${caller.uid}:${sub}:65536` })
  const r = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-sub')], { prefix })
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.same(mapLines(lines.slice(0, 2).join('\n')), [`0 ${caller.uid} 1`, `1 ${sub} 65536`], 'uid_map: the caller\'s uid and the granted range')
  t.equal(lines[2], 'allow', 'newgidmap leaves setgroups allowed for a granted range')
  t.equal(lines[3], 'uid=1000 gid=1000 groups=1001')
  t.equal(statSync(join(bundle.shared, 'by-1000')).uid, sub + 999, 'uid 1000 inside is the granted host uid')
  assertNothingLeft(t, caller)

  // No passwd entry: newuidmap itself refuses, after the clone.
  const refused = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-sub2')], { prefix: withGrants(caller, { passwd: false, subuid: `${caller.uid}:${sub}:65536`, subgid: `${caller.uid}:${sub}:65536` }) })
  t.equal(refused.code, 1)
  t.match(refused.stderr, /config\.json \/linux\/uidMappings: \/usr\/bin\/newuidmap refused the mappings \(its message is above\)/)
  t.match(refused.stderr, /newuidmap: /, 'newuidmap\'s own message')
  assertNothingLeft(t, caller)

  // No helper at all: the error names the maps and what is missing.
  const hidden = withGrants(caller, { passwd: true, subuid: `ocirt-rl:${sub}:65536`, subgid: `ocirt-rl:${sub}:65536` },
    'for f in /usr/bin/newuidmap /usr/sbin/newuidmap /bin/newuidmap /sbin/newuidmap; do [ ! -e $f ] || mount --bind /dev/null $f; done')
  const missing = await ocirtAs(caller, ['run', '--bundle', bundle.dir, uniqueId('rl-sub3')], { prefix: hidden })
  t.equal(missing.code, 1)
  t.match(missing.stderr, /config\.json: \/linux\/uidMappings: ocirt runs without CAP_SETUID \(uid \d+\): it can map only its own uid .* other ranges need newuidmap \(package uidmap\) and a grant in \/etc\/subuid, and newuidmap is not installed/)
  assertNothingLeft(t, caller)
})

t.test('root runs a container in a user namespace as uid 1000 inside', async t => {
  const host = 100000 + randomInt(0, 100) * 65536
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.linux!.namespaces!.push({ type: 'user' }, { type: 'cgroup' })
    spec.linux!.uidMappings = [{ containerID: 0, hostID: host, size: 65536 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: host, size: 65536 }]
    spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [1001] }
    spec.process!.args = ['sh', '-c', 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; cat /proc/self/uid_map; cat /proc/self/setgroups; touch /shared/f; ls /sys/fs/cgroup | wc -l']
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  const [uid, gid, groups, uidMap, setgroups, hierarchies] = r.stdout.trim().split('\n')
  t.match(uid, /^Uid:\s+1000\s+1000\s+1000\s+1000$/)
  t.match(gid, /^Gid:\s+1000\s+1000\s+1000\s+1000$/)
  t.match(groups, /^Groups:\s+1001\s*$/)
  t.same(mapLines(uidMap), [`0 ${host} 65536`])
  t.equal(setgroups, 'allow', 'root writes the gid map with CAP_SETGID: setgroups stays allowed')
  t.equal(statSync(join(bundle.shared, 'f')).uid, host + 1000, 'uid 1000 inside is host uid base+1000')
  t.ok(Number(hierarchies) > 0, `/sys/fs/cgroup holds the hierarchies (${hierarchies})`)
})

rootlessTest('--root given explicitly needs no XDG_RUNTIME_DIR; --rootless takes true, false or auto', async t => {
  const caller = unprivilegedCaller(t)
  const root = join(caller.base, 'state')
  mkdirSync(root)
  chownSync(root, caller.uid, caller.gid)
  const list = await ocirtAs(caller, ['--root', root, 'list', '-q'], { env: { XDG_RUNTIME_DIR: undefined } })
  t.equal(list.code, 0, list.stderr)
  const bad = await ocirtAs(caller, ['--rootless', 'maybe', 'list'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /flag --rootless must be true, false or auto, not "maybe"/)
  const realRoot = { euid: 0, inUserNamespace: false, setgroupsDenied: false }
  const userNsRoot = { euid: 0, inUserNamespace: true, setgroupsDenied: false }
  const user = { euid: 1000, inUserNamespace: false, setgroupsDenied: false }
  t.equal(resolveRootless(undefined, false, realRoot), false, 'auto: real root is not rootless')
  t.equal(resolveRootless('auto', false, user), true, 'auto: anyone else is')
  t.equal(resolveRootless('auto', false, userNsRoot), true, 'auto: root of a user namespace (a rootless engine) is, as runc')
  t.equal(resolveRootless('auto', true, userNsRoot), false, 'auto with --systemd-cgroup in a user namespace: not (runc, when it cannot ask systemd)')
  t.equal(resolveRootless('false', false, user), false)
  t.equal(resolveRootless('true', false, realRoot), true)
  t.equal(resolveRootless('1', false, realRoot), true, 'Go\'s ParseBool words, as runc')
  t.throws(() => resolveRootless('yes', false, realRoot), UsageError)
  t.equal(rootlessByDefault(false, userNsRoot), true)
})

t.test('host facts: the initial user namespace, and the default state root as runc\'s', async t => {
  t.ok(isInitialUidMap('         0          0 4294967295\n'), 'the full identity map is the initial user namespace')
  t.notOk(isInitialUidMap('         0       1001          1\n'), 'unshare -r')
  t.notOk(isInitialUidMap('         0       1001          1\n         1     100000      65536\n'), 'podman\'s, through newuidmap')
  const realRoot = { euid: 0, inUserNamespace: false, setgroupsDenied: false }
  const userNsRoot = { euid: 0, inUserNamespace: true, setgroupsDenied: false }
  const xdg = { XDG_RUNTIME_DIR: '/run/user/1001' }
  t.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0' }, realRoot), '/run/ocirt', 'real root: /run/ocirt whatever XDG_RUNTIME_DIR says')
  t.equal(defaultStateRoot(xdg, userNsRoot), '/run/user/1001/ocirt', 'root of a user namespace: $XDG_RUNTIME_DIR/ocirt (podman, buildah)')
  t.equal(defaultStateRoot({ ...xdg, USER: 'root' }, userNsRoot), '/run/ocirt', 'unless $USER is root (runc\'s rule)')
  t.equal(defaultStateRoot({}, userNsRoot), '/run/ocirt', 'without XDG_RUNTIME_DIR: /run/ocirt')
  t.equal(defaultStateRoot(xdg, { ...realRoot, euid: 1001 }), '/run/user/1001/ocirt', 'not root: $XDG_RUNTIME_DIR/ocirt')
  t.throws(() => defaultStateRoot({}, { ...realRoot, euid: 1001 }), /XDG_RUNTIME_DIR is not set; set it or pass --root DIR/)
  t.throws(() => defaultStateRoot({ XDG_RUNTIME_DIR: 'rel' }, { ...realRoot, euid: 1001 }), /not an absolute path \("rel"\)/)
  t.equal(honorsXdgRuntimeDir({ XDG_RUNTIME_DIR: '' }, userNsRoot), false, 'an empty XDG_RUNTIME_DIR is not set')
})

rootlessTest('a state root the caller cannot write: one line naming the path and what to do, no stack trace', async t => {
  const caller = unprivilegedCaller(t)
  const bundle = rootlessBundle(t, caller)
  // root's directory, 0755: it exists, so only the container's own directory fails (EACCES), as /run/ocirt did for podman.
  const root = join(caller.base, 'roots')
  mkdirSync(root, { mode: 0o755 })
  const id = uniqueId('rl-denied')
  const r = await ocirtAs(caller, ['--root', root, 'create', '--bundle', bundle.dir, id])
  t.equal(r.code, 1)
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line', { stderr: r.stderr })
  t.notMatch(r.stderr, /internal error|\n\s+at /, 'no internal error, no stack trace')
  t.match(r.stderr, new RegExp(`mkdir ${join(root, id)}: permission denied: the state root ${root} is not writable by uid ${caller.uid}; pass --root DIR`))
  assertNothingLeft(t, caller)
})

/**
 * One user namespace for every call, as podman's pause process keeps one: it
 * maps the caller's uid and gid to 0 (unshare -r). `holder` is its process;
 * `end` kills it and waits.
 */
async function engineUserNamespace (t: Test, caller: Caller): Promise<{ holder: number, end: () => Promise<void> }> {
  const holderProcess = spawnTracked('setpriv', [`--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--clear-groups', '--', 'unshare', '--user', '--map-root-user', 'sleep', '600'], { stdio: 'ignore' })
  const holderExited = new Promise(resolve => holderProcess.once('exit', resolve))
  t.teardown(() => { holderProcess.kill('SIGKILL') })
  const holder = holderProcess.pid!
  for (let i = 0; i < 100 && !/^\s*0\s+\d+\s+1\s*$/.test(readFileSync(`/proc/${holder}/uid_map`, 'utf8')); i++) await sleep(20)
  return { holder, end: async () => { holderProcess.kill('SIGKILL'); await holderExited } }
}

/** The config a rootless engine sends: no user namespace of its own (ocirt is already in one), ids the namespace maps. */
function engineBundle (t: Test, configure?: (spec: OciSpec) => void): ReturnType<typeof bundleFor> {
  const bundle = bundleFor(t, spec => {
    spec.mounts = rootlessMounts(spec.mounts!)
    delete spec.linux!.resources
    configure?.(spec)
  }, { shared: true })
  chmodSync(bundle.dir, 0o755)
  return bundle
}

rootlessTest('as root of a user namespace (a rootless engine\'s call, no --root): state in $XDG_RUNTIME_DIR/ocirt, no cgroup, devices bound, exec into created', async t => {
  const caller = unprivilegedCaller(t)
  const bundle = engineBundle(t, spec => {
    spec.process!.args = ['sh', '-c', 'grep -c " /dev/null " /proc/self/mountinfo > /shared/.out; mv /shared/.out /shared/out; sleep 60']
  })
  const { holder, end } = await engineUserNamespace(t, caller)
  const id = uniqueId('rl-engine')
  const created = await ocirtAs(caller, ['create', '--bundle', bundle.dir, id], { userNamespaceOf: holder })
  t.equal(created.code, 0, `create (${created.stderr})`)
  t.notMatch(created.stderr, /internal error|\/run\/ocirt/, 'not /run/ocirt')
  t.match(created.stderr, /no cgroup of its own for the container \(rootless\)/, 'rootless by default: the cgroup is a warning, not an error')
  t.ok(existsSync(join(caller.xdg, 'ocirt', id, 'state.json')), 'the state is in $XDG_RUNTIME_DIR/ocirt, as runc\'s in $XDG_RUNTIME_DIR/runc')
  const exec = await ocirtAs(caller, ['exec', id, 'sh', '-c', 'exit 6'], { userNamespaceOf: holder })
  t.equal(exec.code, 6, `exec into the created container (${exec.stderr})`)
  const started = await ocirtAs(caller, ['start', id], { userNamespaceOf: holder })
  t.equal(started.code, 0, started.stderr)
  const out = join(bundle.shared, 'out')
  for (let i = 0; i < 100 && !existsSync(out); i++) await sleep(50)
  t.equal(existsSync(out) ? readFileSync(out, 'utf8') : '', '1\n', '/dev/null is a bind mount of the host\'s (mknod is refused in a user namespace), as runc')
  const del = await ocirtAs(caller, ['delete', '--force', id], { userNamespaceOf: holder })
  t.equal(del.code, 0, del.stderr)
  await end()
  for (let i = 0; i < 50 && processesOf(caller.uid).length > 0; i++) { reapOrphans(); await sleep(20) }
  assertNothingLeft(t, caller)
})

/**
 * Root makes the cgroup `path` under the tests' parent in every hierarchy,
 * with `mode`, as a root container or a leftover would have it. At teardown it
 * goes, with anything below it and the tests' parent if that is then empty.
 */
function rootCgroup (t: Test, path: string, mode: number): string[] {
  const dirs = cgroupMounts().map(m => join(m, path))
  t.teardown(async () => {
    for (const dir of dirs) {
      // A process wrongly placed in it may still be exiting (EBUSY).
      for (let i = 0; i < 50 && existsSync(dir); i++) {
        try {
          for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirSync(join(dir, e.name))
          rmdirSync(dir)
        } catch { await sleep(20) }
      }
      try { rmdirSync(dirname(dir)) } catch {}
    }
  })
  for (const dir of dirs) {
    for (const d of [dirname(dir), dir]) {
      if (existsSync(d)) continue
      mkdirSync(d)
      // A new cpuset cgroup has no CPUs and takes no task: give it its parent's, as a runtime does.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (existsSync(join(d, file))) writeFileSync(join(d, file), readFileSync(join(d, '..', file), 'utf8').trim())
      }
    }
    chmodSync(dir, mode)
  }
  return dirs
}

const cgroupLines = (text: string): string[] => text.trim().split('\n').sort()

/** Each directory still there, with no process and no cgroup in it. */
function assertUntouched (t: Test, dirs: string[]): void {
  for (const dir of dirs) {
    const inside = existsSync(dir) ? [readFileSync(join(dir, 'cgroup.procs'), 'utf8'), ...readdirSync(dir, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name)] : ['gone']
    t.same(inside, [''], `${dir} is still there, with no process and no cgroup in it`)
  }
}

const HAS_CGROUP2 = existsSync('/sys/fs/cgroup/unified/cgroup.procs') || existsSync('/sys/fs/cgroup/cgroup.procs')

interface UnenterableCase {
  name: string
  /** The mode root gives the cgroup it makes. */
  mode: number
  /** The container's cgroupsPath, from root's cgroup. */
  below: (path: string) => string
  skip: string | false
}

const unenterableCases: UnenterableCase[] = [
  // mkdir(2) answers EEXIST before it checks permission: the rootless create seemed to make it.
  { name: 'an existing cgroup of root\'s at its cgroupsPath', mode: 0o755, below: path => path, skip: false },
  // Made world-writable (by a root runtime under umask 000): the caller's mkdir below it succeeds, but
  // entering needs write permission on the cgroup2 common ancestor too (cgroup_procs_write_permission).
  { name: 'a cgroup it made below a world-writable one of root\'s', mode: 0o777, below: path => `${path}/leaf`, skip: !HAS_CGROUP2 && 'no cgroup2 hierarchy' },
]

for (const c of unenterableCases) {
  for (const engine of [false, true]) {
    const who = engine ? 'root of a user namespace (a rootless engine)' : 'an unprivileged user'
    t.test(`${who}, ${c.name}, which it may not enter: the warning, the container runs in its caller's cgroups, root's cgroup is untouched`, { skip: USERNS_DENIED || c.skip }, async t => {
      const caller = unprivilegedCaller(t)
      const id = uniqueId('rl-cgroup')
      const path = `${TEST_CGROUP_PARENT}/${id}`
      const dirs = rootCgroup(t, path, c.mode)
      const configure = (spec: OciSpec): void => { spec.process!.args = ['cat', '/proc/self/cgroup']; spec.linux!.cgroupsPath = c.below(path) }
      const bundle = engine ? engineBundle(t, configure) : rootlessBundle(t, caller, configure)
      const namespace = engine ? await engineUserNamespace(t, caller) : undefined
      const r = await ocirtAs(caller, ['run', '--bundle', bundle.dir, id], namespace !== undefined ? { userNamespaceOf: namespace.holder } : {})
      t.equal(r.code, 0, `run (${r.stderr})`)
      t.match(r.stderr, new RegExp(`no cgroup of its own for the container \\(rootless\\): the cgroup ${c.below(path)} cannot be entered: /sys/fs/cgroup/\\S*cgroup\\.procs is not writable: permission denied`))
      t.same(cgroupLines(r.stdout), cgroupLines(readFileSync('/proc/self/cgroup', 'utf8')), 'the container is in its caller\'s cgroups')
      assertUntouched(t, dirs)
      await namespace?.end()
      assertNothingLeft(t, caller)
    })
  }
}

rootlessTest('with limits, an existing cgroup the caller may not enter is the error naming /linux/resources, and nothing of it is written', async t => {
  const caller = unprivilegedCaller(t)
  const id = uniqueId('rl-cgroup')
  const path = `${TEST_CGROUP_PARENT}/${id}`
  const dirs = rootCgroup(t, path, 0o755)
  const bundle = rootlessBundle(t, caller, spec => { spec.process!.args = ['true']; spec.linux!.cgroupsPath = path; spec.linux!.resources = { pids: { limit: 10 } } })
  const r = await ocirtAs(caller, ['create', '--bundle', bundle.dir, id])
  t.equal(r.code, 1, 'exit code 1')
  t.match(r.stderr, new RegExp(`^ocirt: config\\.json: /linux/resources: limits need a cgroup of the container's own, which ocirt cannot make without privilege \\(rootless; .*\\): the cgroup ${path} cannot be entered: /sys/fs/cgroup/\\S+ is not writable: permission denied\\n$`))
  const pids = dirs.find(d => existsSync(join(d, 'pids.max')))
  if (pids !== undefined) t.equal(readFileSync(join(pids, 'pids.max'), 'utf8').trim(), 'max', 'pids.max is not written')
  assertUntouched(t, dirs)
  assertNothingLeft(t, caller)
})

t.test('the plan: who writes the maps, setgroups, and the rootless flag the cgroup code reads', async t => {
  const bundle = bundleFor(t, undefined, { noConfig: true })
  const caller = (uid: number, privileged: boolean): PlanCaller => ({ uid, gid: uid, capSetuid: privileged, capSetgid: privileged, capSysAdmin: privileged, capProcAccess: privileged })
  const plan = (spec: OciSpec, who: PlanCaller, rootless?: boolean): ReturnType<typeof buildPlan> =>
    buildPlan(parseConfig(JSON.stringify(spec)), { bundle: bundle.dir, stateDir: join(bundle.dir, 'state'), id: 'p', preserveFds: 0, noPivot: false, noNewKeyring: false, consoleSocket: undefined, caller: who, ...(rootless !== undefined ? { rootless } : {}) })
  const spec = bundle.spec
  toRootless(spec, { uid: 4321, gid: 4321 } as Caller)
  const own = plan(spec, caller(4321, false))
  t.equal(own.init.setgroupsDeny, true, 'an unprivileged parent denies setgroups before writing its own gid')
  t.equal(own.init.uidMapHelper, undefined, 'and writes its own uid map itself')
  t.equal(own.init.uidMap, '0 4321 1\n')
  t.equal(own.rootless, true, 'not root: rootless by default')
  t.equal(plan(spec, caller(4321, false), false).rootless, false, '--rootless=false is passed on')
  const root = plan(spec, caller(0, true))
  t.equal(root.init.setgroupsDeny, false, 'root (CAP_SETGID) leaves setgroups allowed')
  t.equal(root.rootless, false)
  t.equal(root.init.dumpableUntil, DumpableUntil.Never, 'root reaches a non-dumpable init: it never is dumpable')
  t.equal(own.init.dumpableUntil, DumpableUntil.Exec, 'rootless, the ocirt binary not the caller\'s: dumpable until exec (exec into a created container, as runc)')
  // uid 0 without CAP_SYS_PTRACE (this process's uid: access(2) decides, and root may write the binary).
  const ownRootSpec = { ...spec, linux: { ...spec.linux, uidMappings: [{ containerID: 0, hostID: 0, size: 1 }], gidMappings: [{ containerID: 0, hostID: 0, size: 1 }] } }
  t.equal(plan(ownRootSpec, caller(0, false)).init.dumpableUntil, DumpableUntil.Exec, 'a caller who could write the ocirt binary: dumpable until exec too, since /proc/PID/exe is the sealed stage (CVE-2019-5736)')
  spec.hooks = { startContainer: [{ path: '/bin/true' }] }
  t.equal(plan(spec, caller(4321, false)).init.dumpableUntil, DumpableUntil.Exec, 'rootless with startContainer hooks: until exec (the init runs them itself, as the container)')
  t.same(grantedRanges('alice:100000:65536\n1000:200000:10\nbob:1:2\nbad line\n', { uid: 1000, name: 'alice' }),
    [{ start: 100000, size: 65536 }, { start: 200000, size: 10 }], '/etc/subuid lines by name and by number')
})
