/**
 * runtime-linux.md (file descriptors, /dev symlinks) and the config-linux.md
 * clauses a black-box test can see from inside the container.
 */
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { expectDeviation, implementation, setup, shell, args, sleep, waitFor, waitForFile, WAIT_GO } from './lib/harness.js'
import { type OciSpec } from './lib/bundle.js'

/** `run` a container and return its stdout; fails the test unless the container exits 0. */
async function runIt (t: Parameters<typeof setup>[0], configure: (spec: OciSpec) => void): Promise<string> {
  const { rt, bundle, id } = await setup(t, configure, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  return r.stdout
}

t.test('runtime-linux.md#runtimeLinuxFileDescriptors: "only the stdin, stdout and stderr file descriptors are kept open" (create/start; seen from the host)', async t => {
  const { rt, bundle, id } = await setup(t, args('sleep', '30'))
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  const pid = (await rt.state(id)).pid as number
  const execd = await waitFor(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x0030\x00')
  t.ok(execd, 'the container process is executing `sleep 30`')
  const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b)
  t.same(fds, [0, 1, 2], 'its open fds are exactly 0, 1, 2', {
    links: Object.fromEntries(fds.map(fd => { try { return [fd, readlinkSync(`/proc/${pid}/fd/${fd}`)] } catch { return [fd, '?'] } }))
  })
})

t.test('runtime-linux.md#runtimeLinuxFileDescriptors: only stdio is open (run; seen from inside)', async t => {
  // `; true` keeps sh from exec'ing ls in place, so /proc/$$ is the shell (the user program), not ls.
  const out = await runIt(t, shell('ls /proc/$$/fd; true'))
  t.same(out.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b), [0, 1, 2], 'the shell\'s fds are exactly 0, 1, 2', { out })
})

t.test('runtime-linux.md#runtimeLinuxDevSymbolicLinks: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr symlinks exist', async t => {
  const { rt, bundle, id } = await setup(t, shell([
    'for l in /dev/fd /dev/stdin /dev/stdout /dev/stderr; do [ -L $l ] && echo "$l -> $(readlink $l)"; done',
    // >> not >: reopening a stdout that is a regular file with O_TRUNC would erase the lines above
    'echo via-dev-stdout >> /dev/stdout',
    'echo via-dev-stderr >> /dev/stderr',
    'ls /dev/fd/ > /dev/null && echo dev-fd-lists'
  ].join('\n')), {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  t.equal(r.stdout, [
    '/dev/fd -> /proc/self/fd',
    '/dev/stdin -> /proc/self/fd/0',
    '/dev/stdout -> /proc/self/fd/1',
    '/dev/stderr -> /proc/self/fd/2',
    'via-dev-stdout',
    'dev-fd-lists',
    ''
  ].join('\n'), 'each link exists with the right target, and works')
  t.match(r.stderr, /via-dev-stderr/, '/dev/stderr reaches stderr')
})

t.test('config-linux.md#configLinuxDefaultDevices: "the runtime MUST also supply" /dev/null, zero, full, random, urandom, tty, ptmx', async t => {
  const out = await runIt(t, shell('for d in null zero full random urandom tty; do set -- $(stat -c "%F %t %T" /dev/$d); echo "$d $*"; done; [ -e /dev/ptmx ] && echo ptmx ok; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null writable'))
  const lines = out.split('\n')
  for (const [dev, maj, min] of [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]] as const) {
    t.ok(lines.includes(`${dev} character special file ${maj.toString(16)} ${min.toString(16)}`), `/dev/${dev} is char device ${maj}:${min}`, { out })
  }
  t.ok(lines.includes('ptmx ok'), '/dev/ptmx exists')
  t.ok(lines.includes('4'), '/dev/zero reads')
  t.ok(lines.includes('null writable'), '/dev/null is writable')
})

t.test('config-linux.md#configLinuxNamespaces: a new pid namespace makes the user program PID 1', async t => {
  const out = await runIt(t, shell('echo $$'))
  t.equal(out, '1\n')
})

t.test('config-linux.md#configLinuxNamespaces: a new network namespace has only lo', async t => {
  const out = await runIt(t, shell('ls /sys/class/net'))
  t.equal(out, 'lo\n')
})

t.test('config-linux.md#configLinuxNamespaces: "If a namespace type is not specified ... the container MUST inherit the runtime namespace of that type"', async t => {
  const hostNet = readlinkSync('/proc/self/ns/net')
  const hostIpc = readlinkSync('/proc/self/ns/ipc')
  const out = await runIt(t, spec => {
    spec.linux!.namespaces = spec.linux!.namespaces!.filter(n => n.type !== 'network')
    // sysfs of the host netns cannot be mounted from a non-owning netns: leave it out
    spec.mounts = spec.mounts!.filter(m => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup')
    spec.process!.args = ['sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc']
  })
  const [net, ipc] = out.split('\n')
  t.equal(net, hostNet, 'no network entry: the container shares the runtime\'s network namespace')
  t.not(ipc, hostIpc, 'control: the ipc entry still makes a new ipc namespace')
})

/** Mount points at or under dir in our mount namespace. */
function mountPointsUnder (dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map(l => l.split(' ')[4] ?? '').filter(p => p === dir || p.startsWith(`${dir}/`))
}

t.test('config-linux.md#configLinuxNamespaces: without a mount entry the container MUST inherit the runtime\'s mount namespace, and nothing is left mounted there (DEVIATION inherited-mount-namespace-leaks)', {
  // runc does its rootfs set-up in the runtime's namespace itself: it makes its "/" a recursive slave
  // (every shared mount of the machine) and leaves the container's mounts there. Not run on a shared machine.
  skip: implementation() === 'runc' ? 'runc 1.1.5 would make the runtime\'s "/" rslave and leave mounts on it (deviations.md inherited-mount-namespace-leaks)' : false,
}, async t0 => {
  const t = expectDeviation(t0, 'inherited-mount-namespace-leaks')
  const runtimeNamespace = readlinkSync('/proc/self/ns/mnt')
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.namespaces = spec.linux!.namespaces!.filter(n => n.type !== 'mount')
    // runc refuses masked and read-only paths without a mount namespace.
    spec.linux!.maskedPaths = []
    spec.linux!.readonlyPaths = []
    // /shared/mnt is written last: the test waits for it, then reads /shared/files.
    spec.process!.args = ['sh', '-c', `ls /dev/null /proc/self/stat > /shared/files; readlink /proc/self/ns/mnt > /shared/mnt; ${WAIT_GO}`]
  })
  t.teardown(() => {
    // A runtime that leaks mounts leaves them under the bundle: undo them before the bundle is removed.
    for (const p of mountPointsUnder(bundle.dir).reverse()) execFileSync('umount', ['-l', p])
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'create')
  t.equal((await rt.start(id)).code, 0, 'start')
  t.equal(await waitForFile(join(bundle.shared, 'mnt')), `${runtimeNamespace}\n`, 'the container is in the runtime\'s mount namespace')
  t.equal(readFileSync(join(bundle.shared, 'files'), 'utf8'), '/dev/null\n/proc/self/stat\n', 'its /dev and /proc are there')
  t.same(mountPointsUnder(bundle.dir), [], 'while it runs, the runtime\'s namespace has no mount of the container (rootfs, /proc, /dev, /shared)')
  const exec = await rt.run(['exec', id, 'sh', '-c', 'readlink /proc/self/ns/mnt; cat /shared/mnt'])
  t.equal(exec.stdout, `${runtimeNamespace}\n${runtimeNamespace}\n`, 'exec: the process is in the same namespace, and in the container\'s root (/shared is there)', { stderr: exec.stderr })
  writeFileSync(join(bundle.shared, 'go'), '')
  let status = ''
  for (let i = 0; i < 250 && status !== 'stopped'; i++) {
    status = (await rt.state(id)).status
    if (status !== 'stopped') await sleep(20)
  }
  t.equal(status, 'stopped', 'the container stops')
  t.equal((await rt.delete(id)).code, 0, 'delete')
  t.same(mountPointsUnder(bundle.dir), [], 'after delete: none either')
})

t.test('config-linux.md#configLinuxNamespaces: "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error"', async t0 => {
  const t = expectDeviation(t0, 'duplicate-namespaces')
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.namespaces!.push({ type: 'uts' })
    spec.process!.args = ['sh', '-c', 'exit 0']
  }, {})
  t.not((await rt.create(id, bundle.dir)).code, 0, 'create fails')
  t.not((await rt.stateResult(id)).code, 0, 'and no container exists')
})

t.test('config-linux.md#configLinuxNamespaces: "The runtime MUST generate an error if path is not associated with a namespace of type type"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    // A uts namespace file given as the network namespace.
    spec.linux!.namespaces = spec.linux!.namespaces!.map(n => n.type === 'network' ? { type: 'network', path: '/proc/self/ns/uts' } : n)
    spec.process!.args = ['sh', '-c', 'exit 0']
  }, {})
  t.not((await rt.create(id, bundle.dir)).code, 0, 'create fails')
  t.not((await rt.stateResult(id)).code, 0, 'and no container exists')
})

t.test('config-linux.md#configLinuxMaskedPaths: masked paths "cannot be read"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.linux!.maskedPaths = ['/proc/version', '/etc/secret', '/etc/secretdir']
    spec.process!.args = ['sh', '-c', 'wc -c < /proc/version; wc -c < /etc/secret; ls -A /etc/secretdir | wc -l; wc -c < /etc/passwd']
  }, {})
  writeFileSync(join(bundle.rootfs, 'etc/secret'), 'secret\n')
  mkdirSync(join(bundle.rootfs, 'etc/secretdir'))
  writeFileSync(join(bundle.rootfs, 'etc/secretdir/file'), 'secret\n')
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  const [version, secret, dir, passwd] = r.stdout.split('\n').map(s => Number(s.trim()))
  t.equal(version, 0, '/proc/version (masked) reads empty')
  t.equal(secret, 0, '/etc/secret (masked file) reads empty')
  t.equal(dir, 0, '/etc/secretdir (masked dir) lists empty')
  t.ok(passwd !== undefined && passwd > 0, 'control: /etc/passwd (not masked) reads', { stdout: r.stdout })
})

t.test('config-linux.md#configLinuxReadonlyPaths: readonly paths cannot be written', async t => {
  const out = await runIt(t, spec => {
    spec.root!.readonly = false
    spec.linux!.readonlyPaths = ['/proc/sys', '/etc']
    spec.process!.args = ['sh', '-c', 'touch /etc/new 2>/dev/null && echo etc-writable || echo etc-ro; touch /tmp/new && echo tmp-writable; grep -q " /proc/sys proc ro," /proc/mounts && echo proc-sys-ro']
  })
  t.equal(out, 'etc-ro\ntmp-writable\nproc-sys-ro\n')
})
