// Docker with `dockerd --userns-remap=default` driving the runtime under
// test: every container gets a user namespace (linux.uidMappings and
// gidMappings to dockremap's subordinate range) and a rootfs owned by the
// remapped root. A file of its own: the daemon flag applies to every
// container, and dockerd creates the user dockremap and its /etc/subuid and
// /etc/subgid ranges, which the teardown removes (lib/docker.ts).
// CLIENT_RUNTIME picks the runtime (default dist/ocirt; /usr/sbin/runc to
// prove the tests against runc).
import t from 'tap'
import { mkdtempSync, readFileSync, statSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { dockerForTests, dockerUnavailable } from './lib/docker.js'
import { WORKLOAD } from './lib/common.js'

const unavailable = dockerUnavailable() || (process.getuid?.() !== 0 && 'the userns-remap lane creates a user: it runs as root')
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  const subuidBefore = readFileSync('/etc/subuid', 'utf8')
  const subgidBefore = readFileSync('/etc/subgid', 'utf8')
  const { docker: dk, newName } = dockerForTests(t, { usernsRemap: true })

  /** The host uid container root maps to: dockremap's first subordinate uid. */
  const remappedRoot = (): number => {
    const line = readFileSync('/etc/subuid', 'utf8').split('\n').find(l => l.startsWith('dockremap:'))
    return Number(line?.split(':')[1])
  }

  t.test('the container runs in a user namespace mapped to dockremap\'s range', async t => {
    const r = await dk().run(newName('userns'), ['--rm'], ['sh', '-c', 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    const [uid, uidMap, gidMap] = r.stdout.trim().split('\n').map(l => l.trim().split(/\s+/).join(' '))
    t.equal(uid, '0', 'root inside')
    t.equal(uidMap, `0 ${remappedRoot()} 65536`, 'uid_map: 0 -> dockremap\'s first subordinate uid, 65536 ids')
    t.match(gidMap, /^0 \d+ 65536$/, 'gid_map likewise')
  })

  t.test('a -v bind mount: container root writes as the remapped uid', async t => {
    const host = mkdtempSync(join(dk().base, 'vol-'))
    chmodSync(host, 0o777)
    const r = await dk().run(newName('volume'), ['--rm', '--volume', `${host}:/data`], ['sh', '-c', 'echo hi > /data/f && cat /data/f'])
    t.equal(r.stdout, 'hi\n', 'the container writes and reads the volume', { stderr: r.stderr })
    let owner = -1
    try { owner = statSync(join(host, 'f')).uid } catch {}
    t.equal(owner, remappedRoot(), 'the host sees the file owned by the remapped root')
  })

  t.test('detached, exec as another user, stop with SIGTERM caught', async t => {
    const name = newName('detached')
    await dk().runDetached(name, [], ['sh', '-c', WORKLOAD.catchTerm])
    t.ok(await dk().logsSay(name, 'ready'), 'running')
    const user = await dk().docker(['exec', '--user', '1000', name, 'id'])
    t.match(user.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'exec -u 1000', { stderr: user.stderr })
    const stop = await dk().docker(['stop', '--time', '10', name])
    t.equal(stop.code, 0, 'docker stop', { stderr: stop.stderr })
    t.equal(await dk().inspect(name, '{{.State.ExitCode}}'), '7', 'the program caught SIGTERM')
    await dk().removeAndCheck(t, name)
  })

  t.test('nothing is left; dockremap and its subordinate ranges are gone again', async t => {
    const problems = await dk().stop()
    t.same(problems, [], 'teardown found nothing left behind')
    t.equal(readFileSync('/etc/subuid', 'utf8'), subuidBefore, '/etc/subuid as before')
    t.equal(readFileSync('/etc/subgid', 'utf8'), subgidBefore, '/etc/subgid as before')
  })
}
