// config.md and config-linux.md fields, each seen from inside a real
// container: what the process reads in /proc, /dev and its mount table.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostMounts, ocirt, runShell } from './lib/ocirt.js'
import { waitFor } from '../conformance/lib/harness.js'
import { spawnTracked } from '../conformance/lib/reaper.js'

const statusField = (text: string, field: string): string => (new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text) ?? [])[1] ?? ''

t.test('every namespace type is created new', async t => {
  const host = Object.fromEntries(['pid', 'net', 'mnt', 'ipc', 'uts', 'user', 'cgroup', 'time'].map(n => [n, readlinkSync(`/proc/self/ns/${n}`)]))
  const r = await runShell(t, 'for n in pid net mnt ipc uts user cgroup time; do echo "$n $(readlink /proc/self/ns/$n)"; done; echo "pid1=$$"', spec => {
    spec.linux!.namespaces = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'].map(type => ({ type }))
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/sys') && m.destination !== '/shared')
  })
  t.equal(r.code, 0, r.stderr)
  const inside = Object.fromEntries(r.stdout.trim().split('\n').filter(l => !l.startsWith('pid1=')).map(l => l.split(' ')))
  for (const n of Object.keys(host)) t.not(inside[n], host[n], `${n} namespace is new`)
  t.match(r.stdout, /pid1=1\n/, 'the process is pid 1 of its pid namespace')
})

t.test('user namespace: the maps are written and the process is root inside', async t => {
  const r = await runShell(t, 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /tmp/f; stat -c %u /tmp/f', spec => {
    spec.linux!.namespaces!.push({ type: 'user' })
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 1000 }]
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/sys') && m.destination !== '/shared')
    spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' })
  })
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').map(l => l.trim().split(/\s+/).join(' '))
  t.same(lines, ['0 200000 1000', '0 300000 1000', '0', '0', '0'])
})

t.test('joining a namespace by path', async t => {
  // A network namespace held by a process of the test's own (ip netns add would leave a mount on /run/netns).
  const holder = spawnTracked('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' })
  t.teardown(() => { holder.kill('SIGKILL') })
  const path = `/proc/${holder.pid}/ns/net`
  t.ok(await waitFor(() => { try { return readlinkSync(path) !== readlinkSync('/proc/self/ns/net') } catch { return false } }), 'the holder is in a new network namespace')
  const expected = readlinkSync(path)
  const r = await runShell(t, 'readlink /proc/self/ns/net', spec => {
    spec.linux!.namespaces = spec.linux!.namespaces!.map(n => n.type === 'network' ? { type: 'network', path } : n)
  })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout.trim(), expected)
})

t.test('hostname, domainname, env, cwd, user, groups and umask', async t => {
  const r = await runShell(t, 'hostname; cat /proc/sys/kernel/domainname; echo "$GREETING"; pwd; id -u; id -g; id -G; umask', spec => {
    spec.hostname = 'box'
    spec.domainname = 'example.test'
    spec.process!.env!.push('GREETING=hello world')
    spec.process!.cwd = '/work/dir'
    spec.process!.user = { uid: 1000, gid: 1001, additionalGids: [1002, 1003], umask: 0o027 }
  })
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), ['box', 'example.test', 'hello world', '/work/dir', '1000', '1001', '1001 1002 1003', '0027'])
})

t.test('capabilities (kept across setuid), no_new_privs, and signals reset for the program', async t => {
  // No shell in between: a shell may ignore signals itself.
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['cat', '/proc/self/status']
    spec.process!.user = { uid: 1000, gid: 1000 }
    spec.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] }
    spec.process!.noNewPrivileges = true
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  // For a non-root user execve keeps only the ambient set in permitted and effective.
  t.equal(statusField(r.stdout, 'CapBnd'), '0000000000000021')
  t.equal(statusField(r.stdout, 'CapEff'), '0000000000000020')
  t.equal(statusField(r.stdout, 'CapPrm'), '0000000000000020')
  t.equal(statusField(r.stdout, 'CapInh'), '0000000000000020')
  t.equal(statusField(r.stdout, 'CapAmb'), '0000000000000020')
  t.equal(statusField(r.stdout, 'NoNewPrivs'), '1')
  // node ignores SIGPIPE and SIGXFSZ and ocirt blocks signals around clone: none of it may reach the program.
  t.equal(statusField(r.stdout, 'SigIgn'), '0000000000000000', 'no signal ignored')
  t.equal(statusField(r.stdout, 'SigBlk'), '0000000000000000', 'no signal blocked')
})

t.test('root keeps the permitted set effective after exec', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['cat', '/proc/self/status']
    spec.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'] }
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  t.equal(statusField(r.stdout, 'CapBnd'), '0000000000000021')
  t.equal(statusField(r.stdout, 'CapPrm'), '0000000000000021')
  t.equal(statusField(r.stdout, 'CapEff'), '0000000000000021')
  t.equal(statusField(r.stdout, 'CapAmb'), '0000000000000000')
})

t.test('rlimits and oom_score_adj', async t => {
  const r = await runShell(t, 'ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj', spec => {
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }]
    spec.process!.oomScoreAdj = 345
  })
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), ['123', '456', '0', '345'])
})

t.test('only stdio and the preserved fds reach the program', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'ls /proc/self/fd; cat <&3'] })
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-fds-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'three'), 'from fd 3\n')
  // fd 3 of ocirt is the file; --preserve-fds 1 passes it on.
  const out = execFileSync('sh', ['-c', `exec 3<"${join(dir, 'three')}"; exec "${rt.binary}" --root "${rt.root}" run --preserve-fds 1 --bundle "${bundle.dir}" ${id}`], { encoding: 'utf8' })
  const fds = out.trim().split('\n')
  t.same(fds.slice(0, -1).sort(), ['0', '1', '2', '3', '4'].sort(), 'stdio, fd 3 and the fd ls opens')
  t.equal(fds.at(-1), 'from fd 3')
})

t.test('the preserved fds do not hand the program ocirt\'s own connection', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done'] })
  // --preserve-fds 20: fds 3 to 22, all passed (a gap is refused: test/security-stage.test.ts).
  const redirects = Array.from({ length: 20 }, (_, i) => `${i + 3}</dev/null`).join(' ')
  const out = execFileSync('bash', ['-c', `exec ${redirects}; exec "${rt.binary}" --root "${rt.root}" run --preserve-fds 20 --bundle "${bundle.dir}" ${id}`], { encoding: 'utf8' })
  const beyondStdio = out.split('\n').filter(l => /^\/proc\/self\/fd\/([3-9]|\d\d)/.test(l))
  t.notMatch(beyondStdio.join('\n'), /socket:/, 'the exec.sock connection does not reach the program')
  t.match(out, /\/proc\/self\/fd\/3 \/dev\/null/)
})

t.test('mounts: tmpfs options, read-only bind, propagation flags, recursive read-only', async t => {
  const host = mkdtempSync(join(tmpdir(), 'ocirt-bind-'))
  t.teardown(() => rmSync(host, { recursive: true, force: true }))
  writeFileSync(join(host, 'file'), 'host content\n')
  const before = hostMounts()
  const r = await runShell(t, 'cat /data/file; echo x > /data/new 2>/dev/null || echo ro-ok; grep -E " /(data|scratch|rro) " /proc/self/mountinfo; echo y > /rro/z 2>/dev/null || echo rro-ok', spec => {
    spec.mounts!.push({ destination: '/data', type: 'bind', source: host, options: ['bind', 'ro', 'nosuid', 'rprivate'] })
    spec.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nodev', 'noexec', 'size=1m', 'mode=700'] })
    spec.mounts!.push({ destination: '/rro', type: 'bind', source: host, options: ['rbind', 'rro'] })
  })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^host content\nro-ok\n/)
  t.match(r.stdout, / \/data ro,nosuid[^ ]* /, '/data is read-only and nosuid')
  t.match(r.stdout, / \/scratch rw,nodev,noexec[^\n]* - tmpfs tmpfs rw,size=1024k,mode=700/, '/scratch has the tmpfs options')
  t.match(r.stdout, /rro-ok/, 'rro makes the mount read-only')
  t.same(readFileSync(join(host, 'file'), 'utf8'), 'host content\n')
  t.same(hostMounts(), before, 'nothing propagated to the host')
})

t.test('default devices, linux.devices and the /dev symlinks', async t => {
  const r = await runShell(t, 'ls -l /dev | grep -v total; echo hi > /dev/null && head -c 4 /dev/zero | od -An -tx1', spec => {
    spec.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }]
  })
  t.equal(r.code, 0, r.stderr)
  for (const [name, major, minor] of [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]]) {
    t.match(r.stdout, new RegExp(`^crw-rw-rw-\\s+1 root\\s+root\\s+${major},\\s+${minor} .* ${name}$`, 'm'), `/dev/${name}`)
  }
  t.match(r.stdout, /^crw-------\s+1 root\s+root\s+10,\s+229 .* fuse$/m, 'linux.devices entry with its mode')
  for (const [link, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'], ['ptmx', 'pts/ptmx']] as const) {
    t.match(r.stdout, new RegExp(` ${link} -> ${target.replace(/\//g, '\\/')}$`, 'm'), `/dev/${link} -> ${target}`)
  }
  t.match(r.stdout, / 00 00 00 00\n$/)
})

t.test('root.readonly, masked and read-only paths', async t => {
  const r = await runShell(t, 'touch /x 2>/dev/null || echo root-ro; cat /proc/timer_list 2>&1 | wc -c; ls /sys/firmware 2>&1 | wc -l; echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo sys-ro', spec => {
    spec.root!.readonly = true
    // A file (bound to /dev/null), a directory (an empty read-only tmpfs), and a path that does not exist (skipped).
    spec.linux!.maskedPaths = ['/proc/timer_list', '/sys/firmware', '/does/not/exist']
    spec.linux!.readonlyPaths = ['/proc/sys', '/also/missing']
  })
  t.equal(r.code, 0, r.stderr)
  t.same(r.stdout.trim().split('\n'), ['root-ro', '0', '0', 'sys-ro'])
})

t.test('sysctl in the container\'s own network namespace', async t => {
  const host = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()
  const r = await runShell(t, 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start', spec => {
    spec.linux!.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '99' }
  })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout.trim(), '99')
  t.equal(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim(), host, 'host value unchanged')
})

t.test('--no-pivot runs with MS_MOVE and chroot', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'ls /bin/busybox && echo ok'] })
  const r = await rt.run(['run', '--no-pivot', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, '/bin/busybox\nok\n')
})

t.test('rootfsPropagation and cgroup mount', async t => {
  const r = await runShell(t, 'grep " / / " /proc/self/mountinfo; ls /sys/fs/cgroup', spec => {
    spec.linux!.rootfsPropagation = 'private'
  })
  t.equal(r.code, 0, r.stderr)
  t.notMatch(r.stdout.split('\n')[0], /shared:|master:/, 'the root mount is private')
  t.match(r.stdout, /memory/, '/sys/fs/cgroup shows the hierarchies')
})

t.test('HOME comes from the container\'s /etc/passwd when process.env has none', async t => {
  const root = await runShell(t, 'echo "$HOME"', spec => { spec.process!.env = ['PATH=/bin'] })
  t.equal(root.stdout, '/root\n', 'uid 0 → /root')
  const nobody = await runShell(t, 'echo "$HOME"', spec => { spec.process!.env = ['PATH=/bin']; spec.process!.user = { uid: 65534, gid: 65534 } })
  t.equal(nobody.stdout, '/nonexistent\n', 'uid 65534 → its passwd entry')
  const unknown = await runShell(t, 'echo "$HOME"', spec => { spec.process!.env = ['PATH=/bin']; spec.process!.user = { uid: 4242, gid: 4242 } })
  t.equal(unknown.stdout, '/\n', 'a uid without an entry → / (runc\'s default)')
  const given = await runShell(t, 'echo "$HOME"', spec => { spec.process!.env = ['PATH=/bin', 'HOME=/data'] })
  t.equal(given.stdout, '/data\n', 'a HOME in process.env is kept')
})

t.test('an /etc/passwd symlink in the image is resolved in the image, not on the host', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', 'echo "$HOME"']; spec.process!.env = ['PATH=/bin'] })
  const { rmSync: rm, symlinkSync, writeFileSync: write } = await import('node:fs')
  // A link to itself: the lookup fails inside the image, and HOME falls back to "/".
  rm(join(bundle.rootfs, 'etc', 'passwd'))
  symlinkSync('/etc/passwd', join(bundle.rootfs, 'etc', 'passwd'))
  const r1 = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r1.code, 0, r1.stderr)
  t.equal(r1.stdout, '/\n', 'not the host\'s /etc/passwd (whose root entry says /root)')
  // Point it at an absolute path that exists only on the host: in-root resolution finds nothing.
  rm(join(bundle.rootfs, 'etc', 'passwd'))
  const hostOnly = join(bundle.dir, 'host-passwd')
  write(hostOnly, 'root:x:0:0:root:/host-secret:/bin/sh\n')
  symlinkSync(hostOnly, join(bundle.rootfs, 'etc', 'passwd'))
  const r2 = await rt.run(['run', '--bundle', bundle.dir, rt.newId('ocirt')])
  t.equal(r2.code, 0, r2.stderr)
  t.equal(r2.stdout, '/\n', 'the host file was not read')
})

t.test('a session keyring of the container\'s own, unless --no-new-keyring', async t => {
  const script = 'grep -o "_ses[^ ]*" /proc/keys || echo none'
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', script]; spec.linux!.maskedPaths = [] })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, new RegExp(`^_ses\\.${id}:`, 'm'))
  const other = rt.newId('ocirt')
  const kept = await rt.run(['run', '--no-new-keyring', '--bundle', bundle.dir, other])
  t.notMatch(kept.stdout, new RegExp(`_ses\\.${other}`))
})

t.test('a new pid namespace inside a joined user namespace (the extra fork)', async t => {
  // The first container owns a user namespace; the second joins it and gets a pid namespace of its own.
  const owner = await ocirt(t, spec => {
    spec.process!.args = ['sleep', '60']
    spec.linux!.namespaces!.push({ type: 'user' })
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }]
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/sys') && m.destination !== '/shared')
  })
  t.equal((await owner.rt.create(owner.id, owner.bundle.dir)).code, 0)
  const { pid } = await owner.rt.state(owner.id)
  const r = await runShell(t, 'echo "pid=$$"; cat /proc/self/uid_map; readlink /proc/self/ns/user', spec => {
    spec.linux!.namespaces!.push({ type: 'user', path: `/proc/${pid}/ns/user` })
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/sys') && m.destination !== '/shared')
  })
  t.equal(r.code, 0, r.stderr)
  const [pidLine, mapLine, userNs] = r.stdout.trim().split('\n')
  t.equal(pidLine, 'pid=1', 'pid 1 of its own pid namespace')
  t.equal(mapLine?.trim().split(/\s+/).join(' '), '0 400000 65536', 'in the joined user namespace')
  t.equal(userNs, readlinkSync(`/proc/${pid}/ns/user`))
})

t.test('linux.timeOffsets shift the clocks of a new time namespace', async t => {
  const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  const r = await runShell(t, 'cut -d" " -f1 /proc/uptime; cat /proc/self/timens_offsets', spec => {
    spec.linux!.namespaces!.push({ type: 'time' })
    spec.linux!.timeOffsets = { boottime: { secs: 864000, nanosecs: 0 }, monotonic: { secs: 3600, nanosecs: 500 } }
  })
  t.equal(r.code, 0, r.stderr)
  const [uptime, ...offsets] = r.stdout.trim().split('\n')
  t.ok(Number(uptime) - hostUptime > 863000, `boottime moved by ten days (uptime ${uptime} vs host ${hostUptime})`)
  t.same(offsets.map(l => l.trim().split(/\s+/).join(' ')).sort(), ['boottime 864000 0', 'monotonic 3600 500'])
})
