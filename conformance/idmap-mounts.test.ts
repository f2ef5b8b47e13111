/**
 * config.md "Linux mount options" idmap / ridmap and "POSIX-platform Mounts"
 * uidMappings / gidMappings: a bind mount whose owners are seen through an id
 * mapping. Host directories owned by chosen ids are mounted and `stat` inside
 * the container shows the mapped owners.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assertNothingLeft, bundleFor, expectDeviation, openRuntime, setup, shell, snapshotHost, type TapLike } from './lib/harness.js'
import type { OciSpec } from './lib/bundle.js'

/** A host dir holding file `f`, both owned by uid:gid, removed after the test. */
function ownedDir (t: TapLike, uid: number, gid: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-idmap-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'f'), '')
  chownSync(dir, uid, gid)
  chownSync(join(dir, 'f'), uid, gid)
  return dir
}

/** `run` a container and return its stdout; fails the test unless the container exits 0. */
async function runIt (t: TapLike, configure: (spec: OciSpec) => void): Promise<string> {
  const { rt, bundle, id } = await setup(t, configure, {})
  // mkdtemp makes 0700 dirs; the mapped root of a user namespace must reach the rootfs.
  chmodSync(bundle.dir, 0o755)
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  return r.stdout
}

const mapping = (containerID: number, hostID: number) => [{ containerID, hostID, size: 1 }]

t.test('config.md#linux-mount-options idmap with the mount\'s uidMappings/gidMappings: on-disk 2000:2000 shows as 3000:3001', async t0 => {
  const t = expectDeviation(t0, 'idmap-ignored')
  const source = ownedDir(t, 2000, 2000)
  const out = await runIt(t, spec => {
    shell('stat -c "%u %g" /data /data/f')(spec)
    spec.mounts!.push({ destination: '/data', type: 'bind', source, options: ['bind', 'idmap'], uidMappings: mapping(2000, 3000), gidMappings: mapping(2000, 3001) })
  })
  t.equal(out, '3000 3001\n3000 3001\n', 'the directory and its file are seen with the mapped owners')
})

t.test('config.md#linux-mount-options idmap without mappings uses the container\'s user namespace: on-disk 10:11 shows as 10:11 inside', async t0 => {
  const t = expectDeviation(t0, 'idmap-ignored')
  const source = ownedDir(t, 10, 11)
  const out = await runIt(t, spec => {
    // Onto /root, which the rootfs has: the mapped root may not create a mount point in a host-owned rootfs.
    shell('stat -c "%u %g" /root/f /bin/busybox')(spec)
    spec.linux!.namespaces!.push({ type: 'user' })
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]
    spec.mounts!.push({ destination: '/root', type: 'bind', source, options: ['bind', 'idmap'] })
  })
  const [mapped, unmapped] = out.trim().split('\n')
  t.equal(mapped, '10 11', 'the file keeps its on-disk owner as seen from inside')
  t.equal(unmapped, '65534 65534', 'control: a root-owned file of the rootfs (no idmap) is unmapped inside')
})

for (const option of ['idmap', 'ridmap'] as const) {
  t.test(`config.md#linux-mount-options ${option} with rbind: the submounts are ${option === 'ridmap' ? '' : 'not '}mapped too`, async t0 => {
    const t = expectDeviation(t0, 'idmap-ignored')
    const source = ownedDir(t, 2000, 2000)
    const inner = ownedDir(t, 2000, 2000)
    mkdirSync(join(source, 'sub'))
    execFileSync('mount', ['--bind', inner, join(source, 'sub')])
    t.teardown(() => { execFileSync('umount', ['-l', join(source, 'sub')]) })
    const out = await runIt(t, spec => {
      shell('stat -c "%u %g" /data/f /data/sub/f')(spec)
      spec.mounts!.push({ destination: '/data', type: 'bind', source, options: ['rbind', option], uidMappings: mapping(2000, 3000), gidMappings: mapping(2000, 3001) })
    })
    const [top, sub] = out.trim().split('\n')
    t.equal(top, '3000 3001', 'the mount itself is mapped')
    t.equal(sub, option === 'ridmap' ? '3000 3001' : '2000 2000', `the submount is ${option === 'ridmap' ? '' : 'not '}mapped`)
  })
}

/** Create must fail and leave nothing behind. */
async function failingCreate (t: TapLike, configure: (spec: OciSpec) => void): Promise<string> {
  const rt = await openRuntime(t)
  const id = rt.newId()
  const b = bundleFor(t, spec => { shell('exit 0')(spec); configure(spec) })
  const before = snapshotHost()
  const r = await rt.create(id, b.dir)
  t.not(r.code, 0, 'create fails', { stdout: r.stdout, stderr: r.stderr })
  if (r.code === 0) await rt.delete(id, true)
  await assertNothingLeft(t, rt, id, before)
  return r.stderr
}

t.test('config.md#linux-mount-options idmap: "If there are no uidMappings and gidMappings specified and the container isn\'t using user namespaces, an error MUST be returned"', async t0 => {
  const t = expectDeviation(t0, 'idmap-ignored')
  const source = ownedDir(t, 0, 0)
  await failingCreate(t, spec => { spec.mounts!.push({ destination: '/data', type: 'bind', source, options: ['bind', 'idmap'] }) })
})

t.test('config.md#linux-mount-options idmap on a filesystem that cannot be id-mapped (procfs): an error, and nothing left', async t0 => {
  const t = expectDeviation(t0, 'idmap-ignored')
  await failingCreate(t, spec => {
    spec.mounts!.push({ destination: '/data', type: 'bind', source: '/proc/sys', options: ['rbind', 'idmap'], uidMappings: mapping(0, 1000), gidMappings: mapping(0, 1000) })
  })
})
