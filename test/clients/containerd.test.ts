// containerd (1.6, its runc v2 shim) driving the runtime under test through
// `ctr run --runc-binary`, as a user runs workloads with it. The shim calls
// the runtime as `--root R --log L/log.json --log-format json create|start|
// exec --process F --detach|ps --format json|pause|resume|kill ID N|kill
// --all ID 9|delete [--force]`, and reads errors from the JSON log.
// CLIENT_RUNTIME picks the runtime (default dist/ocirt; /usr/sbin/runc to
// prove the tests against runc).
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { Containerd } from './lib/containerd.js'
import { oneShotWorkloads } from './lib/workloads.js'
import { join } from 'node:path'
import { CLIENT_RUNTIME, WORKLOAD, clientAvailable, clientImage, runtimeState, mustSucceed, needsCgroups, runtimeVersion, sleep, until } from './lib/common.js'

const unavailable = clientAvailable('containerd') || clientAvailable('ctr', ['--version'])
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()})`)
  let ctrd: Containerd
  let seq = 0
  const newId = (what: string): string => `${what}-${++seq}`

  t.before(async () => { ctrd = await Containerd.start(clientImage()) })
  t.teardown(async () => { await ctrd?.stop() })

  /** Remove the container and assert that nothing of it is left on the host. */
  const removeAndCheck = async (t: Test, id: string): Promise<void> => {
    const left = await ctrd.remove(id)
    t.same(left, { processes: [], mounts: [], runtimeState: false }, `nothing of ${id} is left: processes, mounts, runtime state`)
  }

  /** Wait for a detached container's log to contain `text`. */
  const logSays = async (log: string, text: string): Promise<boolean> =>
    (await until(() => { try { return readFileSync(log, 'utf8').includes(text) } catch { return false } }, 10_000)) === true

  oneShotWorkloads(t, async (what, flags, argv, options) => await ctrd.run(newId(what), ['--rm', ...flags], argv, options), {
    client: 'ctr', dropChown: ['--cap-drop', 'CAP_CHOWN'], seccomp: ['--seccomp'], interactive: [], writableUnderReadOnly: '/dev/shm',
  })

  t.test('a plain run, with the cpu shares ctr sends by default (linux.resources.cpu)', { todo: needsCgroups() }, async t => {
    const r = await ctrd.run(newId('plain'), ['--rm', '--cpu-shares', '1024'], ['sh', '-c', 'echo plain'])
    t.equal(r.code, 0, 'runs', { stderr: r.stderr })
    t.equal(r.stdout, 'plain\n', 'output')
  })

  t.test('a missing or non-executable command: the runtime\'s error reaches the user through the JSON log', async t => {
    const id = newId('missing')
    const r = await ctrd.run(id, ['--rm'], ['/no/such/program'])
    t.not(r.code, 0, 'ctr fails')
    t.match(r.stderr, /exec: "\/no\/such\/program": .*no such file or directory/, 'with the runtime\'s message', { stderr: r.stderr })
    const notExec = await ctrd.run(newId('noexec'), ['--rm'], ['/etc/passwd'])
    t.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/, 'not executable: permission denied', { stderr: notExec.stderr })
    await removeAndCheck(t, id)
  })

  t.test('detached run, ps, exec (stdin, another user, tty, exit status, detached), SIGTERM caught', async t => {
    const id = newId('detached')
    const log = await ctrd.runDetached(id, [], ['sh', '-c', WORKLOAD.catchTerm])
    t.ok(await logSays(log, 'ready'), 'the program runs and its output reaches the log')
    t.equal(await ctrd.taskStatus(id), 'RUNNING', 'task is RUNNING')
    t.equal(runtimeState(id, join(ctrd.runcRoot, ctrd.namespace))?.status, 'running', 'the runtime under test runs it (its own state says so)')

    const stdin = await ctrd.exec(id, 'stdin', [], ['sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' })
    t.equal(stdin.stdout, 'got hello\n', 'exec with stdin', { stderr: stdin.stderr })
    const user = await ctrd.exec(id, 'user', ['--user', '1000'], ['id'])
    t.match(user.stdout, /^uid=1000\(user\) gid=1000\(user\)/, 'exec as another user', { stderr: user.stderr })
    const tty = await ctrd.exec(id, 'tty', ['--tty'], ['sh', '-c', 'tty; exit 4'], { tty: true })
    t.match(tty.stdout, /\/dev\/pts\/\d+\r+\n/, 'exec with a tty: its stdio is a pty', { stderr: tty.stderr })
    t.equal(tty.code, 4, 'and its exit status')
    const status = await ctrd.exec(id, 'status', [], ['sh', '-c', 'exit 5'])
    t.equal(status.code, 5, 'exec exit status')
    mustSucceed(await ctrd.exec(id, 'bg', ['--detach'], ['sleep', '1000']))

    const init = Number((mustSucceed(await ctrd.ctr(['task', 'ls'])).stdout.split('\n').find(l => l.startsWith(id + ' ')) ?? '').trim().split(/\s+/)[1])
    const cmdline = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8') } catch { return '' } }
    let pids: number[] = []
    // Polled: an exec'd process shows its program's cmdline only once it has called execve.
    const seen = await until(async () => {
      const ps = mustSucceed(await ctrd.ctr(['task', 'ps', id]))
      pids = ps.stdout.split('\n').slice(1).map(l => Number(l.trim().split(/\s+/)[0])).filter(n => n > 0)
      return pids.includes(init) && pids.some(p => p !== init && cmdline(p).startsWith('sleep\u00001000'))
    }, 5000, 100)
    t.ok(pids.includes(init), 'ps lists the init process by host pid', { pids, init })
    t.ok(seen, 'and the detached exec', { pids })

    mustSucceed(await ctrd.ctr(['task', 'kill', '--signal', 'SIGTERM', id]))
    t.ok(await until(async () => await ctrd.taskStatus(id) === 'STOPPED', 10_000), 'SIGTERM stops it')
    t.ok(await logSays(log, 'trapped'), 'the program caught SIGTERM')
    const del = await ctrd.ctr(['task', 'delete', id])
    t.match(del.stdout + del.stderr, /exit code 7/, 'its exit status is the one its handler chose')
    await removeAndCheck(t, id)
  })

  t.test('stop escalates to SIGKILL (kill --all ID 9) when SIGTERM is ignored', async t => {
    const id = newId('stubborn')
    const log = await ctrd.runDetached(id, [], ['sh', '-c', WORKLOAD.ignoreTerm])
    t.ok(await logSays(log, 'ready'), 'running')
    mustSucceed(await ctrd.ctr(['task', 'kill', '--signal', 'SIGTERM', id]))
    await sleep(500)
    t.equal(await ctrd.taskStatus(id), 'RUNNING', 'SIGTERM is ignored')
    mustSucceed(await ctrd.ctr(['task', 'kill', '--all', '--signal', 'SIGKILL', id]))
    t.ok(await until(async () => await ctrd.taskStatus(id) === 'STOPPED', 10_000), 'SIGKILL to all stops it')
    const del = await ctrd.ctr(['task', 'delete', id])
    t.match(del.stdout + del.stderr, /exit code 137/, 'killed by SIGKILL')
    await removeAndCheck(t, id)
  })

  t.test('delete --force of a running task', async t => {
    const id = newId('force')
    const log = await ctrd.runDetached(id, [], ['sh', '-c', 'echo ready; sleep 1000'])
    t.ok(await logSays(log, 'ready'), 'running')
    const r = await ctrd.ctr(['task', 'delete', '--force', id])
    t.equal(r.code, 0, 'task delete --force succeeds', { stderr: r.stderr })
    t.equal(await ctrd.taskStatus(id), undefined, 'the task is gone')
    await removeAndCheck(t, id)
  })

  t.test('pause and resume freeze and thaw the container', { todo: needsCgroups() }, async t => {
    const id = newId('pause')
    await ctrd.runDetached(id, [], ['sh', '-c', WORKLOAD.counter])
    const line = (mustSucceed(await ctrd.ctr(['task', 'ls'])).stdout.split('\n').find(l => l.startsWith(id + ' ')) ?? '')
    const pid = Number(line.trim().split(/\s+/)[1])
    const count = (): number => { try { return Number(readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8')) } catch { return 0 } }
    t.ok(await until(() => count() > 2), 'counting')
    mustSucceed(await ctrd.ctr(['task', 'pause', id]))
    t.equal(await ctrd.taskStatus(id), 'PAUSED', 'PAUSED')
    const frozen = count()
    await sleep(400)
    t.equal(count(), frozen, 'the count does not move while paused')
    mustSucceed(await ctrd.ctr(['task', 'resume', id]))
    t.equal(await ctrd.taskStatus(id), 'RUNNING', 'RUNNING again')
    t.ok(await until(() => count() > frozen + 2), 'the count moves again')
    await removeAndCheck(t, id)
  })

  t.test('a memory limit is enforced: the OOM killer ends a program that exceeds it', { todo: needsCgroups() }, async t => {
    const id = newId('memory')
    const r = await ctrd.run(id, ['--rm', '--memory-limit', String(32 << 20)], ['sh', '-c', WORKLOAD.allocate64M])
    t.notMatch(r.stdout, /survived/, 'the allocation did not survive', { stderr: r.stderr })
    t.equal(r.code, 137, 'killed by SIGKILL (OOM)')
    const free = await ctrd.run(newId('memory'), ['--rm'], ['sh', '-c', WORKLOAD.allocate64M])
    t.match(free.stdout, /survived/, 'without the limit it survives', { stderr: free.stderr })
    await removeAndCheck(t, id)
  })

  t.test('nothing is left: no task, shim, process, mount, cgroup, or /run/containerd dir it made', async t => {
    const problems = await ctrd.stop()
    t.same(problems, [], 'teardown found nothing left behind')
  })
}
