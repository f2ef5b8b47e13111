// podman (4.3, with conmon) driving the runtime under test through
// `podman --runtime`, as a user runs workloads with it. podman and conmon
// call the runtime without --root: `--version`, `--log-format=json --log F
// create --bundle B --pid-file F [--console-socket S] ID`, `start ID`, `exec
// --pid-file F --process FILE --detach [--tty --console-socket S] ID`,
// `pause`, `resume`, `update --resources=FILE ID`, `kill ID 15|9`, `delete
// --force ID`. CLIENT_RUNTIME picks the runtime (default dist/ocirt;
// /usr/sbin/runc to prove the tests against runc).
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../../conformance/lib/reaper.js'
import { Podman } from './lib/podman.js'
import { oneShotWorkloads } from './lib/workloads.js'
import {
  CLIENT_RUNTIME, WORKLOAD, clientAvailable, clientImage, runtimeState, mountsUnder, mustSucceed, needsCgroups, processesUnder, runCmd, runtimeVersion, sleep,
  unmountUnder, until,
} from './lib/common.js'

const unavailable = clientAvailable('podman') || clientAvailable('conmon')
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()})`)
  let pm: Podman
  let seq = 0
  const newName = (what: string): string => `${what}-${++seq}`

  t.before(async () => { pm = await Podman.start(clientImage()) })
  t.teardown(async () => { await pm?.stop() })

  const removeAndCheck = async (t: Test, name: string): Promise<void> => {
    const left = await pm.remove(name)
    t.same(left, { processes: [], mounts: [] }, `nothing of ${name} is left: processes, mounts`)
  }

  /** Wait until `podman logs NAME` contains `text`. */
  const logsSay = async (name: string, text: string): Promise<boolean> =>
    (await until(async () => (await pm.podman(['logs', name])).stdout.includes(text), 10_000, 100)) === true

  const hostPid = async (name: string): Promise<number> => Number(await pm.inspect(name, '{{.State.Pid}}'))

  t.test('podman reads the runtime\'s --version', async t => {
    const v = await pm.podman(['info', '--format', '{{.Host.OCIRuntime.Version}}'])
    t.equal(v.code, 0, 'podman info', { stderr: v.stderr })
    t.match(v.stdout, runtimeVersion(), 'shows the runtime\'s version line')
  })

  oneShotWorkloads(t, async (what, flags, argv, options) => await pm.run(newName(what), ['--rm', ...flags], argv, options), {
    client: 'podman', dropChown: ['--cap-drop', 'CHOWN'], seccomp: [], interactive: ['--interactive'], writableUnderReadOnly: '/tmp',
  })

  t.test('a missing command exits 127, a non-executable one 126 (podman reads the runtime\'s error text)', async t => {
    const missing = await pm.run(newName('missing'), ['--rm'], ['/no/such/program'])
    t.equal(missing.code, 127, 'missing: 127', { stderr: missing.stderr })
    const notExec = await pm.run(newName('noexec'), ['--rm'], ['/etc/passwd'])
    t.equal(notExec.code, 126, 'not executable: 126', { stderr: notExec.stderr })
  })

  t.test('a plain run, with the pids limit podman sends by default (linux.resources.pids)', { todo: needsCgroups() }, async t => {
    const r = await pm.run(newName('plain'), ['--rm', '--pids-limit', '2048'], ['sh', '-c', 'echo plain'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    t.equal(r.stdout, 'plain\n', 'output')
  })

  t.test('detached run, top, exec (stdin, another user, tty, exit status, detached), stop with SIGTERM caught', async t => {
    const name = newName('detached')
    mustSucceed(await pm.run(name, ['--detach'], ['sh', '-c', WORKLOAD.catchTerm]))
    t.ok(await logsSay(name, 'ready'), 'the program runs; podman logs shows its output')
    t.equal(await pm.inspect(name, '{{.State.Status}}'), 'running', 'running')
    // podman gives the runtime no --root: the runtime's default one.
    t.equal(runtimeState(await pm.inspect(name, '{{.Id}}'))?.status, 'running', 'the runtime under test runs it (its own state says so)')

    const stdin = await pm.podman(['exec', '--interactive', name, 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' })
    t.equal(stdin.stdout, 'got hello\n', 'exec with stdin', { stderr: stdin.stderr })
    const user = await pm.podman(['exec', '--user', '1000', name, 'id'])
    t.match(user.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'exec as another user', { stderr: user.stderr })
    const tty = await pm.podman(['exec', '--tty', name, 'sh', '-c', 'tty; exit 4'], { tty: true })
    t.match(tty.stdout, /\/dev\/pts\/\d+\r+\n/, 'exec with a tty: its stdio is a pty', { stderr: tty.stderr })
    t.equal(tty.code, 4, 'and its exit status')
    const status = await pm.podman(['exec', name, 'sh', '-c', 'exit 5'])
    t.equal(status.code, 5, 'exec exit status')
    mustSucceed(await pm.podman(['exec', '--detach', name, 'sleep', '1000']))
    // Polled: an exec'd process shows its program's arguments only once it has called execve.
    let top = ''
    t.ok(await until(async () => { top = (await pm.podman(['top', name, 'pid', 'args'])).stdout; return top.includes('sleep 1000') }, 5000, 100), 'top lists the detached exec', { top })

    const stop = await pm.podman(['stop', '--time', '10', name])
    t.equal(stop.code, 0, 'podman stop', { stderr: stop.stderr })
    t.equal(await pm.inspect(name, '{{.State.ExitCode}}'), '7', 'the program caught SIGTERM and chose its exit status')
    t.ok(await logsSay(name, 'trapped'), 'its handler ran')
    await removeAndCheck(t, name)
  })

  t.test('stop escalates to SIGKILL when SIGTERM is ignored', async t => {
    const name = newName('stubborn')
    mustSucceed(await pm.run(name, ['--detach'], ['sh', '-c', WORKLOAD.ignoreTerm]))
    t.ok(await logsSay(name, 'ready'), 'running')
    const started = Date.now()
    const stop = await pm.podman(['stop', '--time', '1', name])
    t.equal(stop.code, 0, 'podman stop --time 1', { stderr: stop.stderr })
    t.ok(Date.now() - started >= 900, 'it waited for SIGTERM first')
    t.equal(await pm.inspect(name, '{{.State.ExitCode}}'), '137', 'then SIGKILL ended it')
    await removeAndCheck(t, name)
  })

  t.test('rm -f of a running container', async t => {
    const name = newName('rmrunning')
    mustSucceed(await pm.run(name, ['--detach'], ['sh', '-c', WORKLOAD.catchTerm]))
    t.ok(await logsSay(name, 'ready'), 'running')
    const cgroup = await pm.cgroupOf(name)
    const rm = await pm.podman(['rm', '--force', name])
    t.equal(rm.code, 0, 'rm -f (SIGTERM, which the program handles)', { stderr: rm.stderr })
    t.not((await pm.podman(['inspect', name])).code, 0, 'the container is gone')
    t.same(processesUnder(cgroup), [], 'its processes are gone')
  })

  t.test('rm -f of a created container (runtime create, never started)', async t => {
    const name = newName('rmcreated')
    mustSucceed(await pm.podman(['create', `--cgroup-parent=${pm.cgroupParent}`, '--name', name, 'localhost/ocirt-busybox:latest', 'sleep', '1000']))
    const init = await pm.podman(['init', name])
    t.equal(init.code, 0, 'podman init (the runtime\'s create)', { stderr: init.stderr })
    t.equal(await pm.inspect(name, '{{.State.Status}}'), 'initialized', 'initialized: created, not started')
    const pid = await hostPid(name)
    t.ok(pid > 0, 'the container process exists', { pid })
    const rm = await pm.podman(['rm', '--force', name])
    t.equal(rm.code, 0, 'rm -f', { stderr: rm.stderr })
    t.ok(await until(() => !isAlive(pid)), 'its process is gone')
  })

  t.test('pause and unpause freeze and thaw the container', { todo: needsCgroups() }, async t => {
    const name = newName('pause')
    mustSucceed(await pm.run(name, ['--detach'], ['sh', '-c', WORKLOAD.counter]))
    const pid = await hostPid(name)
    const count = (): number => { try { return Number(readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8')) } catch { return 0 } }
    t.ok(await until(() => count() > 2), 'counting')
    mustSucceed(await pm.podman(['pause', name]))
    t.equal(await pm.inspect(name, '{{.State.Status}}'), 'paused', 'paused')
    const frozen = count()
    await sleep(400)
    t.equal(count(), frozen, 'the count does not move while paused')
    mustSucceed(await pm.podman(['unpause', name]))
    t.equal(await pm.inspect(name, '{{.State.Status}}'), 'running', 'running again')
    t.ok(await until(() => count() > frozen + 2), 'the count moves again')
    await removeAndCheck(t, name)
  })

  t.test('update changes the memory limit of a running container', { todo: needsCgroups() }, async t => {
    const name = newName('update')
    mustSucceed(await pm.run(name, ['--detach', '--memory', '64m'], ['sleep', '1000']))
    const memoryFile = `/sys/fs/cgroup/memory${await pm.cgroupOf(name)}/memory.limit_in_bytes`
    t.equal(readFileSync(memoryFile, 'utf8').trim(), String(64 << 20), 'the limit it was started with')
    const r = await pm.podman(['update', '--memory', '96m', name])
    t.equal(r.code, 0, 'podman update (the runtime\'s update --resources)', { stderr: r.stderr })
    t.equal(readFileSync(memoryFile, 'utf8').trim(), String(96 << 20), 'the new limit is in the cgroup')
    await removeAndCheck(t, name)
  })

  t.test('a memory limit is enforced: the OOM killer ends a program that exceeds it', { todo: needsCgroups() }, async t => {
    const name = newName('memory')
    const r = await pm.run(name, ['--memory', '32m'], ['sh', '-c', WORKLOAD.allocate64M])
    t.notMatch(r.stdout, /survived/, 'the allocation did not survive', { stderr: r.stderr })
    t.equal(r.code, 137, 'killed by SIGKILL')
    await removeAndCheck(t, name)
    const free = await pm.run(newName('memory'), ['--rm'], ['sh', '-c', WORKLOAD.allocate64M])
    t.match(free.stdout, /survived/, 'without the limit it survives', { stderr: free.stderr })
  })

  t.test('a pids limit is enforced: forks beyond it fail', { todo: needsCgroups() }, async t => {
    const count = 'for i in $(seq 20); do sleep 5 & done 2>/dev/null; ls /proc | grep -c "^[0-9]"'
    const limited = await pm.run(newName('pids'), ['--rm', '--pids-limit', '10'], ['sh', '-c', count])
    t.ok(Number(limited.stdout.trim()) <= 10, 'no more than 10 processes', { stdout: limited.stdout, stderr: limited.stderr })
    const free = await pm.run(newName('pids'), ['--rm', '--pids-limit', '100'], ['sh', '-c', count])
    t.ok(Number(free.stdout.trim()) > 20, 'with room for them all, all start', { stdout: free.stdout, stderr: free.stderr })
  })

  t.test('--user: the program runs as that uid/gid', async t => {
    const r = await pm.run(newName('user'), ['--rm', '--user', '1000:1000'], ['id'])
    t.match(r.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'id', { stderr: r.stderr })
  })

  t.test('run --timeout: conmon kills the container\'s process group in time, podman exits with runc\'s status and keeps no container', async t => {
    // conmon signals the container's process group (kill(-pid)): the program
    // must lead its own group, as runc makes it (setsid), or conmon kills itself.
    const name = newName('timeout')
    const started = Date.now()
    const r = await pm.run(name, ['--rm', '--timeout', '2'], ['sleep', '60'], { timeoutMs: 60_000 })
    const took = Date.now() - started
    t.equal(r.code, 255, 'podman exits 255, as with runc 1.1.5', { stderr: r.stderr })
    t.ok(took < 10_000, `podman returned ${took} ms after it started (the timeout is 2 s)`)
    t.not((await pm.podman(['inspect', name])).code, 0, 'the container is gone (--rm)')
    t.same((await pm.podman(['ps', '--all', '--quiet', '--filter', `name=${name}`])).stdout.trim(), '', 'podman ps lists no such container')
  })

  t.test('--tmpfs with a mode and a size', async t => {
    const r = await pm.run(newName('tmpfs'), ['--rm', '--tmpfs', '/scratch:mode=1770,size=1m'], ['sh', '-c', 'stat -c %a /scratch; grep " /scratch " /proc/mounts'])
    t.match(r.stdout, /^1770\n/, 'the tmpfs has the mode asked for', { stderr: r.stderr })
    t.match(r.stdout, /tmpfs \/scratch tmpfs .*size=1024k/, 'and the size', { stderr: r.stderr })
  })

  t.test('--group-add: the groups are added to the user\'s, once each', async t => {
    const r = await pm.run(newName('groupadd'), ['--rm', '--user', '1000:1000', '--group-add', '1234', '--group-add', '5678', '--group-add', '1234'], ['sh', '-c', 'grep "^Groups:" /proc/self/status'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    t.same(r.stdout.split(/\s+/).slice(1).filter(Boolean).sort(), ['1000', '1234', '5678'], 'supplementary groups 1000, 1234, 5678', { stdout: r.stdout })
  })

  /**
   * A volume with mount propagation: a host dir made a shared mount point
   * (the host's / is private here), mounted in a container that may mount
   * (CAP_SYS_ADMIN). A tmpfs mounted on each side shows whether propagation
   * goes host -> container (rslave and rshared) and container -> host
   * (rshared only).
   */
  const propagation = async (t: Test, mode: 'rslave' | 'rshared'): Promise<{ hostToContainer: boolean, containerToHost: boolean }> => {
    const host = mkdtempSync(join(pm.base, `${mode}-`))
    const name = newName(mode)
    try {
      mustSucceed(await runCmd(pm.base, 'mount', ['--bind', host, host]))
      mustSucceed(await runCmd(pm.base, 'mount', ['--make-shared', host]))
      mkdirSync(join(host, 'from-host'))
      mustSucceed(await pm.run(name, ['--detach', '--cap-add', 'SYS_ADMIN', '--volume', `${host}:/vol:${mode}`], ['sleep', '1000']))
      mustSucceed(await runCmd(pm.base, 'mount', ['-t', 'tmpfs', `${mode}-host`, join(host, 'from-host')]))
      const seen = await pm.podman(['exec', name, 'grep', '-c', ' /vol/from-host ', '/proc/mounts'])
      const mounted = await pm.podman(['exec', name, 'sh', '-c', 'mkdir /vol/from-container && mount -t tmpfs ctr /vol/from-container'])
      t.equal(mounted.code, 0, 'the container mounts a tmpfs in the volume', { stderr: mounted.stderr })
      return { hostToContainer: seen.stdout.trim() === '1', containerToHost: mountsUnder(join(host, 'from-container')).length > 0 }
    } finally {
      await pm.remove(name)
      unmountUnder(host)
    }
  }

  t.test('a volume with :rslave propagation: host mounts reach the container, not the other way', async t => {
    t.same(await propagation(t, 'rslave'), { hostToContainer: true, containerToHost: false }, 'host -> container only')
  })

  t.test('a volume with :rshared propagation: mounts reach the other side both ways', async t => {
    t.same(await propagation(t, 'rshared'), { hostToContainer: true, containerToHost: true }, 'host -> container and container -> host')
  })

  t.test('nothing is left: no container, conmon, process, mount or cgroup', async t => {
    const problems = await pm.stop()
    t.same(problems, [], 'teardown found nothing left behind')
  })
}
