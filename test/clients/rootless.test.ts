// Rootless engines: an unprivileged user (with /etc/subuid and /etc/subgid
// ranges) runs podman 4.3 and buildah 1.28 with the runtime under test as
// --runtime. Both call it inside their own user namespace, as euid 0, without
// --root: the runtime must keep its state in $XDG_RUNTIME_DIR (runc:
// $XDG_RUNTIME_DIR/runc), run without a cgroup of its own (cgroup v1 is
// never delegated), and bind device nodes (mknod is refused there).
// CLIENT_RUNTIME picks the runtime (default dist/ocirt; /usr/sbin/runc to
// prove the tests against runc).
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { IMAGE, RootlessUser } from './lib/rootless.js'
import { CLIENT_RUNTIME, WORKLOAD, clientAvailable, clientImage, mustSucceed, runtimeIsOcirt, runtimeVersion, until } from './lib/common.js'

const unavailable = clientAvailable('podman') || clientAvailable('conmon') || clientAvailable('buildah') ||
  (spawnSync('sh', ['-c', 'command -v newuidmap && command -v newgidmap']).status !== 0 && 'newuidmap/newgidmap are not installed (package uidmap)') ||
  (spawnSync('setpriv', ['--reuid=65533', '--regid=65533', '--clear-groups', 'unshare', '--user', 'true']).status !== 0 && 'unprivileged user namespaces are not allowed on this host')
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()})`)
  let user: RootlessUser
  let seq = 0
  const newName = (what: string): string => `${what}-${++seq}`
  const run = async (flags: string[], argv: string[]): ReturnType<RootlessUser['podman']> =>
    await user.podman(['run', '--rm', '--name', newName('run'), ...flags, IMAGE, ...argv])

  t.before(async () => { user = await RootlessUser.start(clientImage()) })
  t.teardown(async () => { await user?.stop() })

  t.test('podman run: the program\'s output and exit code', async t => {
    const r = await run([], ['sh', '-c', 'echo out; echo err >&2; exit 3'])
    t.equal(r.code, 3, 'podman exits with the program\'s status', { stderr: r.stderr })
    t.equal(r.stdout, 'out\n', 'stdout')
    t.match(r.stderr, /err/, 'stderr')
    const hi = await run([], ['echo', 'hi'])
    t.equal(hi.code, 0, 'exit 0', { stderr: hi.stderr })
    t.equal(hi.stdout, 'hi\n')
  })

  t.test('run -d, exec (output, exit status), the runtime\'s state under $XDG_RUNTIME_DIR, stop with SIGTERM caught', async t => {
    const name = newName('detached')
    mustSucceed(await user.podman(['run', '--detach', '--name', name, IMAGE, 'sh', '-c', WORKLOAD.catchTerm]))
    const id = mustSucceed(await user.podman(['inspect', '--format', '{{.Id}}', name])).stdout.trim()
    t.ok(await until(async () => (await user.podman(['logs', name])).stdout.includes('ready'), 10_000, 100), 'running: podman logs shows its output')
    // podman gives the runtime no --root: its default, $XDG_RUNTIME_DIR/<runtime>.
    const stateDir = join(user.xdg, runtimeIsOcirt() ? 'ocirt' : 'runc', id)
    t.ok(existsSync(stateDir), `the runtime keeps its state in ${stateDir}`)
    const exec = await user.podman(['exec', name, 'sh', '-c', 'echo in-exec; exit 5'])
    t.equal(exec.code, 5, 'exec exit status', { stderr: exec.stderr })
    t.equal(exec.stdout, 'in-exec\n', 'exec output')
    const stop = await user.podman(['stop', '--time', '10', name])
    t.equal(stop.code, 0, 'podman stop', { stderr: stop.stderr })
    t.equal(mustSucceed(await user.podman(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim(), '7', 'the program caught SIGTERM and chose its status')
    mustSucceed(await user.podman(['rm', name]))
    t.notOk(existsSync(stateDir), 'the runtime\'s state is gone after podman rm')
  })

  t.test('rm -f of a running container', async t => {
    const name = newName('rmrunning')
    mustSucceed(await user.podman(['run', '--detach', '--name', name, IMAGE, 'sleep', '1000']))
    const pid = Number(mustSucceed(await user.podman(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim())
    t.ok(pid > 0, 'the container process exists', { pid })
    const rm = await user.podman(['rm', '--force', '--time', '1', name])
    t.equal(rm.code, 0, 'rm -f', { stderr: rm.stderr })
    t.not((await user.podman(['inspect', name])).code, 0, 'the container is gone')
    t.ok(await until(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')), 'its process is gone')
  })

  t.test('--user: the program runs as that uid/gid', async t => {
    const r = await run(['--user', '1000:1000'], ['id'])
    t.match(r.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'id', { stderr: r.stderr })
  })

  t.test('--read-only: the root filesystem is read-only, /tmp is writable', async t => {
    const r = await run(['--read-only'], ['sh', '-c', 'touch /x; echo $?; touch /tmp/x && echo writable'])
    t.match(r.stderr, /Read-only file system/, 'writing to / fails')
    t.equal(r.stdout, '1\nwritable\n')
  })

  t.test('-v: a bind mount of a directory of the user\'s, read and written', async t => {
    const dir = join(user.home, 'volume')
    mkdirSync(dir)
    writeFileSync(join(dir, 'from-host'), 'host\n')
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir])
    const r = await run(['-v', `${dir}:/vol`], ['sh', '-c', 'cat /vol/from-host; echo container > /vol/from-container'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    t.equal(r.stdout, 'host\n', 'reads the host file')
    t.equal(readFileSync(join(dir, 'from-container'), 'utf8'), 'container\n', 'writes through to the host')
    t.equal(statSync(join(dir, 'from-container')).uid, user.uid, 'root in the container is the user on the host')
  })

  t.test('--userns=keep-id: the user\'s own uid inside', async t => {
    const r = await run(['--userns=keep-id'], ['id', '-u'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    t.equal(r.stdout, `${user.uid}\n`)
  })

  t.test('--uidmap/--gidmap: a user namespace of the container\'s own', async t => {
    const r = await run(['--uidmap', '0:1:1000', '--gidmap', '0:1:1000'], ['sh', '-c', 'id -u; cat /proc/self/uid_map'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    const [uid, map] = r.stdout.trim().split('\n')
    t.equal(uid, '0')
    t.equal(map?.trim().split(/\s+/).join(' '), '0 1 1000', 'the map podman asked for (ids of its own namespace)')
  })

  t.test('buildah bud --isolation oci: a Containerfile with three RUN steps', async t => {
    const context = join(user.home, 'context')
    mkdirSync(context)
    writeFileSync(join(context, 'Containerfile'), [
      `FROM ${IMAGE}`,
      'RUN echo one > /one',
      'RUN cat /one && echo two > /two',
      'RUN cat /one /two > /both',
    ].join('\n') + '\n')
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, context])
    const tag = 'localhost/ocirt-rootless-built:latest'
    const bud = await user.buildah(['bud', '--isolation', 'oci', '--network', 'none', '--storage-driver', 'vfs', '-t', tag, '-f', join(context, 'Containerfile'), context], { timeoutMs: 180_000 })
    t.equal(bud.code, 0, 'buildah bud', { stderr: bud.stderr })
    t.match(bud.stdout, /STEP 4\/4/, 'every step ran')
    const r = await user.podman(['run', '--rm', tag, 'cat', '/both'])
    t.equal(r.stdout, 'one\ntwo\n', 'the image holds what the RUN steps wrote', { stderr: r.stderr })
    await user.podman(['rmi', tag])
  })

  t.test('nothing is left: no container, no process of the user, the user gone, /etc/subuid and /etc/subgid as they were', async t => {
    const subuid = readFileSync('/etc/subuid')
    const problems = await user.stop()
    t.same(problems, [], 'teardown found nothing left behind')
    t.notOk(readFileSync('/etc/passwd', 'utf8').split('\n').some(l => l.startsWith(`${user.name}:`)), 'the user is gone')
    t.notOk(readFileSync('/etc/subuid', 'utf8').includes(`${user.name}:`), 'its /etc/subuid line is gone')
    t.ok(subuid.toString('utf8').includes(`${user.name}:`), '(it had one)')
  })
}
