// Issue 12, the mount and rootfs items: configs as podman and Docker send
// them, where ocirt must do what runc 1.1.5 does with the same bundle.
// ENGINE_RUNTIME=/usr/sbin/runc runs this file against runc for comparison.
import t from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TapLike } from '../conformance/lib/harness.js'
import { bundleFor, waitForFile } from '../conformance/lib/harness.js'
import type { OciSpec } from '../conformance/lib/bundle.js'
import { Runtime } from '../conformance/lib/runtime.js'
import type { OcirtFixture } from './lib/ocirt.js'
import { OCIRT } from './lib/ocirt.js'

const ENGINE = process.env.ENGINE_RUNTIME ?? OCIRT

/** The engine under test with a private --root, and a bundle; both removed after the test. */
async function engine (t: TapLike, configure?: (spec: OciSpec) => void): Promise<OcirtFixture> {
  const rt = await Runtime.open(ENGINE)
  t.teardown(async () => { await rt.cleanup() })
  const bundle = bundleFor(t, configure, { shared: true })
  chmodSync(bundle.dir, 0o755)
  return { rt, bundle, id: rt.newId('rootfs') }
}

function addCapability (spec: OciSpec, cap: string): void {
  const caps = spec.process!.capabilities!
  for (const set of ['bounding', 'effective', 'permitted']) caps[set] = [...(caps[set] ?? []), cap]
}

/**
 * A fresh directory under /tmp made a shared mount of its own (on a systemd
 * host "/" is shared; here it is private), unmounted with everything under
 * it and removed after the test. Its prefix is in FIXTURE_MOUNT_PREFIXES.
 */
function sharedMount (t: TapLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-propagation-'))
  t.teardown(() => {
    spawnSync('umount', ['-R', '-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  execFileSync('mount', ['--bind', dir, dir])
  execFileSync('mount', ['--make-shared', dir])
  return dir
}

/** Host mount points under dir, from /proc/self/mountinfo. */
function mountPointsUnder (dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map(l => l.split(' ')[4] ?? '')
    .filter(p => p === dir || p.startsWith(`${dir}/`)).sort()
}

/** The peer group ("shared:N") of the host mount at dir. */
function peerGroupOf (dir: string): string | undefined {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find(l => l.split(' ')[4] === dir)
  return /shared:\d+/.exec(line ?? '')?.[0]
}

/**
 * A bind mount of a shared host mount at /vol with `volumeOption`, and
 * rootfsPropagation as podman sets it for that option; the rootfs is on a
 * shared mount of its own (as an overlay rootfs is on a systemd host). After
 * the container starts, the host mounts a tmpfs at vol/fromhost and the
 * container one at /vol/fromct.
 */
async function propagationRun (t: TapLike, volumeOption: string, rootfsPropagation: string): Promise<{ vol: string, rootfsMount: string, seen: string, mountinfo: string, hostMountsDuring: string[] }> {
  const vol = sharedMount(t)
  const rootfsMount = sharedMount(t)
  mkdirSync(join(vol, 'fromhost'))
  mkdirSync(join(vol, 'fromct'))
  const { rt, bundle, id } = await engine(t, spec => {
    spec.root = { path: join(rootfsMount, 'rootfs'), readonly: true }
    spec.mounts!.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind', volumeOption] })
    spec.linux!.rootfsPropagation = rootfsPropagation
    addCapability(spec, 'CAP_SYS_ADMIN')
    spec.process!.args = ['sh', '-c', [
      'echo > /shared/ready',
      'while [ ! -e /shared/go ]; do sleep 0.02; done',
      'cat /vol/fromhost/marker > /shared/seen 2>&1',
      'mount -t tmpfs ctmount /vol/fromct && echo container > /vol/fromct/marker',
      'grep " /vol " /proc/self/mountinfo > /shared/mountinfo',
      'echo done > /shared/done',
      'while [ ! -e /shared/stop ]; do sleep 0.02; done',
    ].join('; ')]
  })
  execFileSync('cp', ['-a', bundle.rootfs, join(rootfsMount, 'rootfs')])
  const running = rt.run(['run', '--bundle', bundle.dir, id], { timeoutMs: 20_000 })
  let hostMountsDuring: string[] = []
  try {
    await waitForFile(join(bundle.shared, 'ready'), 10_000)
    execFileSync('mount', ['-t', 'tmpfs', 'hostmount', join(vol, 'fromhost')])
    writeFileSync(join(vol, 'fromhost', 'marker'), 'host\n')
    writeFileSync(join(bundle.shared, 'go'), '')
    await waitForFile(join(bundle.shared, 'done'), 10_000)
    hostMountsDuring = [...mountPointsUnder(vol), ...mountPointsUnder(rootfsMount)]
  } finally {
    writeFileSync(join(bundle.shared, 'stop'), '')
    const r = await running
    t.equal(r.code, 0, 'the container runs', { stderr: r.stderr })
  }
  const read = (name: string): string => existsSync(join(bundle.shared, name)) ? readFileSync(join(bundle.shared, name), 'utf8') : ''
  return { vol, rootfsMount, seen: read('seen'), mountinfo: read('mountinfo'), hostMountsDuring }
}

t.test('item 4/5: podman -v A:B:rshared (rootfsPropagation "shared"): mounts propagate both ways, the container\'s mount is in the host\'s peer group', async t => {
  const { vol, rootfsMount, seen, mountinfo, hostMountsDuring } = await propagationRun(t, 'rshared', 'shared')
  t.equal(seen, 'host\n', 'a mount made on the host under the source appears in the container')
  const marker = join(vol, 'fromct', 'marker')
  t.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : '', 'container\n', 'a mount made in the container under the rshared bind appears on the host')
  const group = peerGroupOf(vol)
  t.ok(group !== undefined && mountinfo.includes(`${group} `), `the container's /vol is in the host mount's peer group (${group ?? '?'})`, { mountinfo })
  t.same(hostMountsDuring, [vol, join(vol, 'fromct'), join(vol, 'fromhost'), rootfsMount],
    'nothing else reached the host: not the rootfs bind, nor /proc, /dev, ... inside it', { hostMountsDuring })
})

t.test('item 4/5: podman -v A:B:rslave (rootfsPropagation "rslave", refused by the schema before): host mounts reach the container, not back', async t => {
  const { vol, rootfsMount, seen, mountinfo, hostMountsDuring } = await propagationRun(t, 'rslave', 'rslave')
  t.equal(seen, 'host\n', 'a mount made on the host under the source appears in the container')
  t.notOk(existsSync(join(vol, 'fromct', 'marker')), 'a mount made in the container does not reach the host')
  t.match(mountinfo, /master:\d+/, 'the container\'s /vol is a slave', { mountinfo })
  t.same(hostMountsDuring, [vol, join(vol, 'fromhost'), rootfsMount], 'nothing of the container reached the host', { hostMountsDuring })
})

// runbindable is accepted too, but fails with runc as with ocirt: the rootfs
// cannot be bound from an unbindable mount. runc 1.1.5 fails the rshared case:
// it applies rootfsPropagation to the host's "/" before pivot_root only, and
// its container's / stays private; config-linux.md says the rootfs gets it.
t.test('item 4: the recursive rootfsPropagation values runc accepts are accepted, and the container\'s / gets them', async t => {
  for (const [value, expect] of [['rprivate', /^\S+$/], ['rshared', /^\S+ shared:\d+$/], ['rslave', /^\S+( master:\d+)?$/]] as Array<[string, RegExp]>) {
    const { rt, bundle, id } = await engine(t, spec => {
      spec.linux!.rootfsPropagation = value
      // The mount options and the optional fields of the mount at /.
      spec.process!.args = ['sh', '-c', 'awk \'$5 == "/" { o = $6; for (i = 7; $i != "-"; i++) o = o " " $i; print o }\' /proc/self/mountinfo']
    })
    const r = await rt.run(['run', '--bundle', bundle.dir, id])
    t.equal(r.code, 0, `${value}: runs`, { stderr: r.stderr })
    t.match(r.stdout.trim(), expect, `${value}: the optional fields of / say so`, { stdout: r.stdout })
  }
})

t.test('item 6: podman --tmpfs /x:mode=700 on a directory the image lacks keeps mode 700; on one it has, copy-up takes its mode', async t => {
  const { rt, bundle, id } = await engine(t, spec => {
    const options = ['rw', 'rprivate', 'noexec', 'nosuid', 'nodev', 'mode=700', 'tmpcopyup']
    spec.mounts!.push({ destination: '/fresh', type: 'tmpfs', source: 'tmpfs', options })
    spec.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options })
    spec.process!.args = ['sh', '-c', 'stat -c "%a %u:%g %n" /fresh /data; cat /data/file']
  })
  mkdirSync(join(bundle.rootfs, 'data'), { mode: 0o750 })
  chmodSync(join(bundle.rootfs, 'data'), 0o750)
  writeFileSync(join(bundle.rootfs, 'data', 'file'), 'from the image\n')
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, '700 0:0 /fresh\n750 0:0 /data\nfrom the image\n', 'mode=700 stands where ocirt made the directory; the image\'s 750 is copied up', { stderr: r.stderr })
})

t.test('item 9: a read-only /dev tmpfs ("ro" in its options) is filled first, then made read-only', async t => {
  const { rt, bundle, id } = await engine(t, spec => {
    const dev = spec.mounts!.find(m => m.destination === '/dev')!
    dev.options = [...(dev.options ?? []), 'ro']
    spec.process!.args = ['sh', '-c', [
      'awk \'$5 == "/dev" { print $6 }\' /proc/self/mountinfo | cut -d, -f1',
      'touch /dev/new 2>/dev/null || echo dev-read-only',
      'ls -d /dev/pts/ptmx /dev/ptmx /dev/fd /dev/shm /dev/mqueue',
      'echo x > /dev/null && echo null-writable',
      'touch /dev/shm/file && echo shm-writable',
    ].join('; ')]
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, 'ro\ndev-read-only\n/dev/fd\n/dev/mqueue\n/dev/ptmx\n/dev/pts/ptmx\n/dev/shm\nnull-writable\nshm-writable\n',
    '/dev is read-only, with its devices, symlinks, devpts, shm and mqueue', { stderr: r.stderr })
})

t.test('item 13: --no-pivot leaves no full host procfs or sysfs in the container\'s mount namespace: a fresh proc cannot be mounted from a user namespace', async t => {
  const { rt, bundle, id } = await engine(t, spec => {
    spec.root!.readonly = false
    // Docker's default set has CAP_SETFCAP, which mapping root into a user namespace needs; CAP_SYS_ADMIN is --privileged's.
    addCapability(spec, 'CAP_SYS_ADMIN')
    addCapability(spec, 'CAP_SETFCAP')
    spec.process!.args = ['sh', '-c', [
      'mkdir -p /tmp/proc /tmp/sys',
      // The kernel lets a new user namespace (owning new pid and net namespaces) mount
      // procfs or sysfs only while a full, uncovered one is in its mount namespace.
      'busybox unshare -Urmpfn sh -c "mount -t proc proc /tmp/proc && echo proc-mounted; mount -t sysfs sysfs /tmp/sys && echo sysfs-mounted" 2>/dev/null',
      'echo finished',
    ].join('; ')]
  })
  const r = await rt.run(['run', '--no-pivot', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, 'finished\n', 'neither a fresh procfs (kallsyms, kmsg unmasked) nor a sysfs could be mounted', { stderr: r.stderr })
})

t.test('item 8: with a user namespace (docker --userns-remap, podman --userns), a bind source the remapped root cannot reach is mounted', async t => {
  // mkdtemp makes a 0700 directory of the host's root: the container's root (host uid 100000) cannot pass it.
  // (The prefix is in FIXTURE_MOUNT_PREFIXES: it holds a mount.)
  const hidden = mkdtempSync(join(tmpdir(), 'ocirt-propagation-userns-'))
  t.teardown(() => {
    spawnSync('umount', ['-l', join(hidden, 'data', 'sub')])
    rmSync(hidden, { recursive: true, force: true })
  })
  mkdirSync(join(hidden, 'data', 'sub'), { recursive: true })
  writeFileSync(join(hidden, 'data', 'file'), 'reached\n')
  writeFileSync(join(hidden, 'data', 'sub', 'under'), '')
  // A submount of the rbind source: as with runc, the container may not unmount it to see what it covers.
  execFileSync('mount', ['-t', 'tmpfs', 'sub', join(hidden, 'data', 'sub')])
  writeFileSync(join(hidden, 'single'), 'a file\n')
  // A source named through an absolute symlink (as /var/run -> /run is).
  symlinkSync(hidden, join(hidden, 'link'))
  const { rt, bundle, id } = await engine(t, spec => {
    spec.linux!.namespaces!.push({ type: 'user' })
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/sys'))
    spec.mounts!.push({ destination: '/data', type: 'bind', source: join(hidden, 'data'), options: ['rbind', 'ro'] })
    spec.mounts!.push({ destination: '/etc/single', type: 'bind', source: join(hidden, 'link', 'single'), options: ['bind'] })
    spec.process!.args = ['sh', '-c', 'cat /data/file /etc/single; touch /data/x 2>/dev/null || echo data-read-only; awk \'$5 == "/data" { print $6 }\' /proc/self/mountinfo | cut -d, -f1; umount /data/sub 2>/dev/null || echo submount-locked; ls /data/sub']
  })
  // The mount points are in the image (the remapped root may not create them in a rootfs of the host's root).
  mkdirSync(join(bundle.rootfs, 'data'))
  writeFileSync(join(bundle.rootfs, 'etc', 'single'), '')
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, 'reached\na file\ndata-read-only\nro\nsubmount-locked\n', 'the directory and the file are mounted, with their options; the submount stays locked', { stderr: r.stderr })
})
