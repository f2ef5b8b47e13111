// The rootfs is hostile: runc's CVE history as regression tests. Each bundle
// tries to make the runtime act on the host; each test proves the host is
// untouched and the create failed cleanly or stayed inside the rootfs.
import t from 'tap'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertNothingLeft, snapshotHost } from '../conformance/lib/harness.js'
import { ocirt } from './lib/ocirt.js'

t.test('CVE-2019-16884 class: /proc as a symlink in the image is refused', async t => {
  const { rt, bundle, id } = await ocirt(t, undefined, { shared: false })
  rmSync(join(bundle.rootfs, 'proc'), { recursive: true })
  symlinkSync('/etc', join(bundle.rootfs, 'proc'))
  const before = snapshotHost()
  const r = await rt.create(id, bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /config\.json \/mounts\/0: refusing to mount proc on \/proc: the rootfs has a symlink on that path/)
  await assertNothingLeft(t, rt, id, before)
})

t.test('CVE-2024-21626 class: a cwd through /proc/self/fd cannot reach a leaked host fd', async t => {
  for (const cwd of ['/proc/self/fd/3', '/proc/self/cwd', '/proc/1/root']) {
    const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.cwd = cwd; spec.process!.args = ['pwd'] }, { shared: false })
    const before = snapshotHost()
    const r = await rt.create(id, bundle.dir)
    t.equal(r.code, 1, `cwd ${cwd} is refused`)
    t.match(r.stderr, /\/process\/cwd/)
    await assertNothingLeft(t, rt, id, before)
  }
})

t.test('CVE-2021-30465 class: a mount destination symlinked to the host lands in the rootfs', async t => {
  const { rt, bundle, id } = await ocirt(t, undefined, { shared: false })
  const hostDir = join(bundle.dir, 'host-dir')
  mkdirSync(hostDir)
  writeFileSync(join(hostDir, 'precious'), 'host data')
  // Both an absolute symlink and one that climbs with "..".
  symlinkSync(hostDir, join(bundle.rootfs, 'abs'))
  symlinkSync('../../../../../../../../' + hostDir, join(bundle.rootfs, 'rel'))
  const spec = bundle.readConfig()
  spec.mounts!.push({ destination: '/abs', type: 'tmpfs', source: 'tmpfs' }, { destination: '/rel/sub', type: 'tmpfs', source: 'tmpfs' })
  spec.process!.args = ['sh', '-c', 'touch /abs/x /rel/sub/y && echo ok']
  spec.root!.readonly = false
  bundle.writeConfig(spec)
  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, r.stderr)
  t.same(readdirSync(hostDir), ['precious'], 'nothing was mounted over or created in the host directory')
  t.equal(readFileSync(join(hostDir, 'precious'), 'utf8'), 'host data')
})

t.test('CVE-2025-31133 class: masking with an image whose /dev/null is not the null device is refused', async t => {
  // /dev comes from the image (bound, not a fresh tmpfs), and its "null" is a symlink to a procfs file.
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.mounts = spec.mounts!.filter(m => !m.destination.startsWith('/dev'))
    spec.linux!.maskedPaths = ['/proc/timer_list']
  }, { shared: false })
  const devDir = join(bundle.dir, 'image-dev')
  mkdirSync(devDir)
  symlinkSync('/proc/sys/kernel/core_pattern', join(devDir, 'null'))
  const spec = bundle.readConfig()
  spec.mounts!.push({ destination: '/dev', type: 'bind', source: devDir, options: ['rbind'] })
  bundle.writeConfig(spec)
  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8')
  const before = snapshotHost()
  const r = await rt.create(id, bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /refusing to mask \/proc\/timer_list: the container's \/dev\/null is not the null device/)
  await assertNothingLeft(t, rt, id, before)
  t.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern, 'the host\'s core_pattern is untouched')
})

t.test('procfs write redirection: a sysctl is not written through something mounted over /proc/sys', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.mounts!.push({ destination: '/proc/sys/net', type: 'tmpfs', source: 'tmpfs' })
    spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }
  }, { shared: false })
  const before = snapshotHost()
  const r = await rt.create(id, bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /refusing to write \/proc\/sys\/net\/ipv4\/ip_forward: it is not on procfs|writing 1 to \/proc\/sys\/net\/ipv4\/ip_forward: no such file/)
  await assertNothingLeft(t, rt, id, before)
})

t.test('CVE-2019-5736 class: the init is not dumpable, so the container cannot open our binary through /proc/PID/exe', async t => {
  // While created, the init is still ocirt's binary. A process in the container's pid namespace
  // (here: an exec'd one) must not be able to open /proc/1/exe for writing or read it.
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '60'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const { pid } = await rt.state(id)
  t.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /Name:\s+ocirt|Name:\s+\S+/)
  const r = await rt.run(['exec', id, 'sh', '-c', 'ls -l /proc/1/exe 2>&1; cat /proc/1/exe > /dev/null 2>&1 && echo readable || echo not-readable'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /not-readable/)
  t.ok(existsSync(join(bundle.rootfs, 'bin', 'busybox')))
})
