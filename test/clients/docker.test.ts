// Docker (dockerd 20.10, the containerd 1.6 it manages, its runc v2 shim)
// driving the runtime under test as dockerd's default runtime
// (`--add-runtime`), as a user runs workloads with `docker`: the lifecycle,
// exec, signals, security options, --init, --restart, networks, a
// healthcheck (docker-resources.test.ts: cgroups and mounts). The shim calls
// the runtime as containerd's does (`--root EXEC/runtime-runc/moby --log
// L/log.json --log-format json create|start|exec|ps|pause|resume|update|
// kill|delete`); docs/clients.md lists what dockerd sends.
// CLIENT_RUNTIME picks the runtime (default dist/ocirt; /usr/sbin/runc to
// prove the tests against runc).
import t from 'tap'
import { readdirSync } from 'node:fs'
import { dockerForTests, dockerUnavailable } from './lib/docker.js'
import { oneShotWorkloads } from './lib/workloads.js'
import { WORKLOAD, runtimeState, mustSucceed, processesUnder, until } from './lib/common.js'

const unavailable = dockerUnavailable()
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  const { docker: dk, newName } = dockerForTests(t)

  oneShotWorkloads(t, async (what, flags, argv, options) => await dk().run(newName(what), ['--rm', ...flags], argv, options), {
    client: 'docker', dropChown: ['--cap-drop', 'CHOWN'], seccomp: [], interactive: ['--interactive'], writableUnderReadOnly: '/dev/shm',
    privileged: ['--security-opt', 'seccomp=unconfined', '--cap-add', 'SYS_ADMIN'],
  })

  t.test('a missing command exits 127, a non-executable one 126 (docker reads the runtime\'s error text)', async t => {
    const missing = await dk().run(newName('missing'), ['--rm'], ['/no/such/program'])
    t.equal(missing.code, 127, 'missing: 127', { stderr: missing.stderr })
    const notExec = await dk().run(newName('noexec'), ['--rm'], ['/etc/passwd'])
    t.equal(notExec.code, 126, 'not executable: 126', { stderr: notExec.stderr })
  })

  t.test('detached run, exec (stdin, -u, -e, -w, -it, exit status, -d), top, stop with SIGTERM caught', async t => {
    const name = newName('detached')
    await dk().runDetached(name, [], ['sh', '-c', WORKLOAD.catchTerm])
    t.ok(await dk().logsSay(name, 'ready'), 'the program runs; docker logs shows its output')
    t.equal(await dk().inspect(name, '{{.State.Status}}'), 'running', 'running')
    t.equal(runtimeState(await dk().inspect(name, '{{.Id}}'), dk().runtimeRoot)?.status, 'running', 'the runtime under test runs it (its own state says so)')

    const stdin = await dk().docker(['exec', '--interactive', name, 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' })
    t.equal(stdin.stdout, 'got hello\n', 'exec -i with stdin', { stderr: stdin.stderr })
    const user = await dk().docker(['exec', '--user', '1000', name, 'id'])
    t.match(user.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'exec -u as another user', { stderr: user.stderr })
    const env = await dk().docker(['exec', '--env', 'GREETING=hi there', name, 'sh', '-c', 'echo "$GREETING"'])
    t.equal(env.stdout, 'hi there\n', 'exec -e sets the environment', { stderr: env.stderr })
    const workdir = await dk().docker(['exec', '--workdir', '/home/user', name, 'pwd'])
    t.equal(workdir.stdout, '/home/user\n', 'exec -w sets the working directory', { stderr: workdir.stderr })
    const tty = await dk().docker(['exec', '--interactive', '--tty', name, 'sh', '-c', 'tty; exit 4'], { tty: true })
    t.match(tty.stdout, /\/dev\/pts\/\d+\r+\n/, 'exec -it: its stdio is a pty', { stderr: tty.stderr })
    t.equal(tty.code, 4, 'and its exit status')
    const status = await dk().docker(['exec', name, 'sh', '-c', 'exit 5'])
    t.equal(status.code, 5, 'exec exit status')
    mustSucceed(await dk().docker(['exec', '--detach', name, 'sleep', '1000']))
    // Polled: an exec'd process shows its program's arguments only once it has called execve.
    let top = ''
    t.ok(await until(async () => { top = (await dk().docker(['top', name])).stdout; return top.includes('sleep 1000') }, 5000, 100), 'top (the runtime\'s ps) lists the detached exec', { top })

    const stop = await dk().docker(['stop', '--time', '10', name])
    t.equal(stop.code, 0, 'docker stop', { stderr: stop.stderr })
    t.equal(await dk().inspect(name, '{{.State.ExitCode}}'), '7', 'the program caught SIGTERM and chose its exit status')
    t.ok(await dk().logsSay(name, 'trapped'), 'its handler ran')
    await dk().removeAndCheck(t, name)
  })

  t.test('stop escalates to SIGKILL when SIGTERM is ignored', async t => {
    const name = newName('stubborn')
    await dk().runDetached(name, [], ['sh', '-c', WORKLOAD.ignoreTerm])
    t.ok(await dk().logsSay(name, 'ready'), 'running')
    const started = Date.now()
    const stop = await dk().docker(['stop', '--time', '1', name])
    t.equal(stop.code, 0, 'docker stop --time 1', { stderr: stop.stderr })
    t.ok(Date.now() - started >= 900, 'it waited for SIGTERM first')
    t.equal(await dk().inspect(name, '{{.State.ExitCode}}'), '137', 'then SIGKILL ended it')
    await dk().removeAndCheck(t, name)
  })

  t.test('kill -s delivers the signal; kill ends the container', async t => {
    const name = newName('kill')
    await dk().runDetached(name, [], ['sh', '-c', 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'])
    t.ok(await dk().logsSay(name, 'ready'), 'running')
    mustSucceed(await dk().docker(['kill', '--signal', 'USR1', name]))
    t.ok(await dk().logsSay(name, 'got-usr1'), 'the program caught SIGUSR1')
    t.equal(await dk().inspect(name, '{{.State.Status}}'), 'running', 'and kept running')
    mustSucceed(await dk().docker(['kill', name]))
    t.ok(await until(async () => await dk().inspect(name, '{{.State.Status}}') === 'exited'), 'docker kill (SIGKILL) ends it')
    t.equal(await dk().inspect(name, '{{.State.ExitCode}}'), '137', 'killed by SIGKILL')
    await dk().removeAndCheck(t, name)
  })

  t.test('--init: docker-init is pid 1 and passes the program\'s exit status on', async t => {
    const r = await dk().run(newName('init'), ['--rm', '--init'], ['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; exit 6'])
    t.match(r.stdout, /^\/sbin\/docker-init -- sh -c/, 'pid 1 is docker-init', { stderr: r.stderr })
    t.equal(r.code, 6, 'exit status')
  })

  t.test('--restart on-failure restarts a failing container', async t => {
    const name = newName('restart')
    await dk().runDetached(name, ['--restart', 'on-failure:2'], ['sh', '-c', 'echo run; exit 1'])
    const done = await until(async () => await dk().inspect(name, '{{.RestartCount}} {{.State.Status}}') === '2 exited', 20_000, 200)
    t.ok(done, 'restarted twice, then left exited', { state: await dk().inspect(name, '{{.RestartCount}} {{.State.Status}} {{.State.Error}}') })
    t.equal((await dk().docker(['logs', name])).stdout, 'run\nrun\nrun\n', 'it ran three times')
    await dk().removeAndCheck(t, name)
  })

  t.test('--network none has only lo; --network host shares the host\'s interfaces', async t => {
    const none = await dk().run(newName('netnone'), ['--rm', '--network', 'none'], ['ls', '/sys/class/net'])
    t.equal(none.stdout, 'lo\n', 'none: lo only', { stderr: none.stderr })
    const host = await dk().run(newName('nethost'), ['--rm', '--network', 'host'], ['ls', '/sys/class/net'])
    t.same(host.stdout.split('\n').filter(Boolean).sort(), readdirSync('/sys/class/net').sort(), 'host: the host\'s interfaces', { stderr: host.stderr })
  })

  t.test('rm -f of a running container', async t => {
    const name = newName('rmrunning')
    await dk().runDetached(name, [], ['sh', '-c', WORKLOAD.catchTerm])
    t.ok(await dk().logsSay(name, 'ready'), 'running')
    const cgroup = await dk().cgroupOf(name)
    const rm = await dk().docker(['rm', '--force', name])
    t.equal(rm.code, 0, 'rm -f', { stderr: rm.stderr })
    t.not((await dk().docker(['inspect', name])).code, 0, 'the container is gone')
    t.same(processesUnder(cgroup), [], 'its processes are gone')
  })

  t.test('a healthcheck (exec\'d by dockerd through the runtime) turns healthy', async t => {
    const name = newName('health')
    await dk().runDetached(name, ['--health-cmd', 'test -f /tmp/ready', '--health-interval', '1s', '--health-retries', '30'], ['sh', '-c', 'sleep 1; touch /tmp/ready; sleep 1000'])
    let health = ''
    t.ok(await until(async () => { health = await dk().inspect(name, '{{.State.Health.Status}}'); return health === 'healthy' }, 20_000, 200), 'healthy', { health })
    await dk().removeAndCheck(t, name)
  })

  t.test('nothing is left: no container, dockerd, containerd, shim, process, mount or cgroup', async t => {
    const problems = await dk().stop()
    t.same(problems, [], 'teardown found nothing left behind')
  })
}
