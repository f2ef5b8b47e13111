// A failed create exits non-zero with an error that names the JSON path or
// flag, and leaves nothing behind: no process, mount, or state dir
// (runtime.md "Errors": as if the operation were never attempted).
import t from 'tap'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { assertNothingLeft, snapshotHost } from '../conformance/lib/harness.js'
import type { OciSpec } from '../conformance/lib/bundle.js'
import { ocirt } from './lib/ocirt.js'

interface Case {
  name: string
  configure?: (spec: OciSpec) => void
  raw?: string
  error: RegExp
}

const cases: Case[] = [
  { name: 'malformed JSON', raw: '{"ociVersion": "1.3.0",\n  "root": }', error: /config\.json: invalid JSON at line 2/ },
  { name: 'a namespace type the spec does not know', configure: s => { s.linux!.namespaces![1] = { type: 'netwrk' } }, error: /config\.json: \/linux\/namespaces\/1\/type: must be one of/ },
  { name: 'a namespace given twice', configure: s => { s.linux!.namespaces!.push({ type: 'pid' }) }, error: /\/linux\/namespaces/ },
  { name: 'a user namespace without a mount namespace', configure: s => { s.linux!.namespaces = [...s.linux!.namespaces!.filter(n => n.type !== 'mount'), { type: 'user' }]; s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }] }, error: /\/linux\/namespaces: a user namespace needs a mount namespace of its own/ },
  { name: 'a relative cwd', configure: s => { s.process!.cwd = 'tmp' }, error: /\/process\/cwd/ },
  { name: 'a bind mount whose source does not exist', configure: s => { s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent/ocirt-test', options: ['rbind'] }) }, error: /\/mounts\/\d+\/source: \/nonexistent\/ocirt-test: no such file or directory/ },
  { name: 'a filesystem the kernel cannot mount', configure: s => { s.mounts!.push({ destination: '/data', type: 'nosuchfs', source: 'none' }) }, error: /config\.json \/mounts\/\d+: mount nosuchfs none on \/data: no such device/ },
  { name: 'an rlimit given twice', configure: s => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }, { type: 'RLIMIT_NOFILE', soft: 20, hard: 20 }] }, error: /\/process\/rlimits\/1/ },
  { name: 'an unknown capability', configure: s => { s.process!.capabilities = { bounding: ['CAP_FLY'] } }, error: /\/process\/capabilities\/bounding\/0/ },
  { name: 'a sysctl outside the container\'s namespaces', configure: s => { s.linux!.sysctl = { 'kernel.panic': '1' } }, error: /\/linux\/sysctl\/kernel\.panic: .*not namespaced/ },
  { name: 'a program that is not in PATH', configure: s => { s.process!.args = ['no-such-program'] }, error: /exec: "no-such-program": executable file not found in \$PATH/ },
  { name: 'a program path that does not exist', configure: s => { s.process!.args = ['/bin/nope'] }, error: /exec: "\/bin\/nope": stat \/bin\/nope: no such file or directory/ },
  { name: 'a program that is not executable', configure: s => { s.process!.args = ['/etc/passwd'] }, error: /exec: "\/etc\/passwd": permission denied/ },
  { name: 'a missing rootfs', configure: s => { s.root!.path = 'no-rootfs' }, error: /\/root\/path: .*no-rootfs: no such directory/ },
  { name: 'an id-mapped mount of a filesystem that cannot be id-mapped', configure: s => { s.mounts!.push({ destination: '/data', type: 'bind', source: '/proc/sys', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }) }, error: /config\.json \/mounts\/\d+: id-mapped bind mount of \/proc\/sys on \/data: invalid argument \(the filesystem of \/proc\/sys cannot be id-mapped/ },
  { name: 'an idmap option on a mount that is not a bind mount', configure: s => { s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }) }, error: /config\.json: \/mounts\/\d+\/options: idmap and ridmap are supported on bind mounts only/ },
  { name: 'an AppArmor profile on a host without AppArmor', configure: s => { s.process!.apparmorProfile = 'docker-default' }, error: /config\.json: \/process\/apparmorProfile: AppArmor is not enabled on this host/ },
  { name: 'no process', configure: s => { delete s.process }, error: /missing required property "process"/ },
]

for (const c of cases) {
  t.test(`create fails cleanly: ${c.name}`, async t => {
    const { rt, bundle, id } = await ocirt(t, c.configure, { shared: false, rawConfig: c.raw })
    const before = snapshotHost()
    const r = await rt.create(id, bundle.dir)
    t.equal(r.code, 1, 'exit code 1')
    t.match(r.stderr, c.error)
    t.same(readdirSync(rt.root), [], 'no state dir left')
    await assertNothingLeft(t, rt, id, before)
  })
}

t.test('a missing bundle or config.json is named', async t => {
  const { rt, bundle, id } = await ocirt(t, undefined, { shared: false })
  const r = await rt.create(id, join(bundle.dir, 'nope'))
  t.equal(r.code, 1)
  t.match(r.stderr, /bundle .*nope: cannot read config\.json: no such file or directory/)
  rmSync(bundle.configPath)
  const r2 = await rt.create(id, bundle.dir)
  t.match(r2.stderr, /cannot read config\.json/)
  t.same(readdirSync(rt.root), [])
})

t.test('an id already taken is refused and the first container is untouched', async t => {
  const { rt, bundle, id } = await ocirt(t, s => { s.process!.args = ['sleep', '30'] }, { shared: false })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const first = await rt.state(id)
  const again = await rt.create(id, bundle.dir)
  t.equal(again.code, 1)
  t.match(again.stderr, new RegExp(`container with id "${id}" already exists`))
  const after = await rt.state(id)
  t.equal(after.status, 'created')
  t.equal(after.pid, first.pid)
})

t.test('concurrent creates of one id: exactly one wins', async t => {
  const { rt, bundle, id } = await ocirt(t, s => { s.process!.args = ['sleep', '30'] }, { shared: false })
  const results = await Promise.all([0, 1, 2, 3].map(async () => await rt.create(id, bundle.dir)))
  t.equal(results.filter(r => r.code === 0).length, 1, 'one create succeeds')
  t.equal(results.filter(r => r.code === 1 && /already exists/.test(r.stderr)).length, 3, 'the others say the id is taken')
  t.equal((await rt.state(id)).status, 'created')
})
