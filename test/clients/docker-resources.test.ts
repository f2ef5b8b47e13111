// Docker (dockerd 20.10 and the containerd 1.6 it manages) driving the
// runtime under test: the workloads that rely on its cgroups (pause, stats,
// --memory with an OOM kill, --pids-limit, cpu, docker update) and on its
// mounts (--tmpfs, -v). A file of its own beside docker.test.ts so that the
// two run in parallel. CLIENT_RUNTIME picks the runtime (default dist/ocirt;
// /usr/sbin/runc to prove the tests against runc).
import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dockerForTests, dockerUnavailable } from './lib/docker.js'
import { WORKLOAD, mustSucceed, sleep, until } from './lib/common.js'

const unavailable = dockerUnavailable()
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  const { docker: dk, newName } = dockerForTests(t)

  t.test('pause and unpause freeze and thaw the container', async t => {
    const name = newName('pause')
    await dk().runDetached(name, [], ['sh', '-c', WORKLOAD.counter])
    const pid = Number(await dk().inspect(name, '{{.State.Pid}}'))
    const count = (): number => { try { return Number(readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8')) } catch { return 0 } }
    t.ok(await until(() => count() > 2), 'counting')
    mustSucceed(await dk().docker(['pause', name]))
    t.equal(await dk().inspect(name, '{{.State.Status}}'), 'paused', 'paused')
    t.equal(await dk().cgroupFile(name, 'freezer', 'freezer.state'), 'FROZEN', 'its freezer cgroup is FROZEN')
    const frozen = count()
    await sleep(400)
    t.equal(count(), frozen, 'the count does not move while paused')
    mustSucceed(await dk().docker(['unpause', name]))
    t.equal(await dk().inspect(name, '{{.State.Status}}'), 'running', 'running again')
    t.ok(await until(() => count() > frozen + 2), 'the count moves again')
    await dk().removeAndCheck(t, name)
  })

  t.test('stats reads the container\'s cgroups', async t => {
    const name = newName('stats')
    await dk().runDetached(name, [], ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'])
    let out = ''
    t.ok(await until(async () => {
      out = (await dk().docker(['stats', '--no-stream', '--format', '{{.PIDs}} {{.MemUsage}}', name], { timeoutMs: 20_000 })).stdout.trim()
      return /^3 [1-9]/.test(out)
    }, 10_000, 200), 'PIDs 3 (sh and two sleeps), a memory usage above zero', { out })
    await dk().removeAndCheck(t, name)
  })

  t.test('--memory is enforced: the OOM killer ends a program that exceeds it, and docker reports OOMKilled', async t => {
    const name = newName('memory')
    const r = await dk().run(name, ['--memory', '32m'], ['sh', '-c', WORKLOAD.allocate64M])
    t.notMatch(r.stdout, /survived/, 'the allocation did not survive', { stderr: r.stderr })
    t.equal(r.code, 137, 'killed by SIGKILL')
    t.equal(await dk().inspect(name, '{{.State.OOMKilled}}'), 'true', 'docker inspect: OOMKilled')
    await dk().removeAndCheck(t, name)
    const free = await dk().run(newName('memory'), ['--rm'], ['sh', '-c', WORKLOAD.allocate64M])
    t.match(free.stdout, /survived/, 'without the limit it survives', { stderr: free.stderr })
  })

  t.test('--pids-limit is enforced: forks beyond it fail', async t => {
    const count = 'for i in $(seq 20); do sleep 5 & done 2>/dev/null; ls /proc | grep -c "^[0-9]"'
    const limited = await dk().run(newName('pids'), ['--rm', '--pids-limit', '10'], ['sh', '-c', count])
    t.ok(Number(limited.stdout.trim()) <= 10, 'no more than 10 processes', { stdout: limited.stdout, stderr: limited.stderr })
    const free = await dk().run(newName('pids'), ['--rm'], ['sh', '-c', count])
    t.ok(Number(free.stdout.trim()) > 20, 'without the limit all start', { stdout: free.stdout, stderr: free.stderr })
  })

  t.test('cpu: the default cpu.shares is 1024; --cpus sets the CFS quota', async t => {
    const name = newName('cpu')
    await dk().runDetached(name, [], ['sleep', '1000'])
    t.equal(await dk().cgroupFile(name, 'cpu', 'cpu.shares'), '1024', 'cpu.shares 1024 (docker sends shares 0: not set)')
    await dk().removeAndCheck(t, name)
    const limited = newName('cpus')
    await dk().runDetached(limited, ['--cpus', '1.5'], ['sleep', '1000'])
    t.equal(await dk().cgroupFile(limited, 'cpu', 'cpu.cfs_period_us'), '100000', 'period 100 ms')
    t.equal(await dk().cgroupFile(limited, 'cpu', 'cpu.cfs_quota_us'), '150000', 'quota 150 ms: 1.5 CPUs')
    await dk().removeAndCheck(t, limited)
  })

  t.test('docker update changes the memory and pids limits of a running container', async t => {
    const name = newName('update')
    await dk().runDetached(name, ['--memory', '64m', '--pids-limit', '50'], ['sleep', '1000'])
    t.equal(await dk().cgroupFile(name, 'memory', 'memory.limit_in_bytes'), String(64 << 20), 'the memory limit it was started with')
    t.equal(await dk().cgroupFile(name, 'pids', 'pids.max'), '50', 'the pids limit it was started with')
    const r = await dk().docker(['update', '--memory', '96m', '--memory-swap', '192m', '--pids-limit', '60', name])
    t.equal(r.code, 0, 'docker update (the runtime\'s update --resources)', { stderr: r.stderr })
    t.equal(await dk().cgroupFile(name, 'memory', 'memory.limit_in_bytes'), String(96 << 20), 'the new memory limit is in the cgroup')
    t.equal(await dk().cgroupFile(name, 'pids', 'pids.max'), '60', 'the new pids limit is in the cgroup')
    await dk().removeAndCheck(t, name)
  })

  t.test('--tmpfs with options, -v bind mounts (rw and ro)', async t => {
    const tmpfs = await dk().run(newName('tmpfs'), ['--rm', '--tmpfs', '/scratch:mode=1770,size=1m'], ['sh', '-c', 'stat -c %a /scratch; grep " /scratch " /proc/mounts'])
    t.match(tmpfs.stdout, /^1770\n/, 'the tmpfs has the mode asked for', { stderr: tmpfs.stderr })
    t.match(tmpfs.stdout, /tmpfs \/scratch tmpfs .*size=1024k/, 'and the size', { stderr: tmpfs.stderr })
    const host = mkdtempSync(join(dk().base, 'vol-'))
    writeFileSync(join(host, 'from-host'), 'host\n')
    const rw = await dk().run(newName('volume'), ['--rm', '--volume', `${host}:/data`], ['sh', '-c', 'cat /data/from-host; echo container > /data/from-container'])
    t.equal(rw.stdout, 'host\n', 'the container reads the host\'s file', { stderr: rw.stderr })
    t.equal(readFileSync(join(host, 'from-container'), 'utf8'), 'container\n', 'the host sees the container\'s file')
    const ro = await dk().run(newName('volume'), ['--rm', '--volume', `${host}:/data:ro`], ['sh', '-c', 'touch /data/x'])
    t.not(ro.code, 0, ':ro refuses writes')
    t.match(ro.stderr, /Read-only file system/, 'with EROFS')
  })

  t.test('the container is in its cgroup in every hierarchy, the hybrid layout\'s cgroup2 one included', async t => {
    const name = newName('placement')
    await dk().runDetached(name, [], ['sleep', '1000'])
    const cgroup = await dk().cgroupOf(name)
    const pid = await dk().inspect(name, '{{.State.Pid}}')
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')
    t.same(lines.filter(l => !l.endsWith(`:${cgroup}`)), [], `every line of /proc/PID/cgroup ends in ${cgroup}`)
    t.ok(lines.some(l => l.startsWith('0::')), 'the cgroup2 line among them')
    await dk().removeAndCheck(t, name)
  })

  t.test('nothing is left: no container, dockerd, containerd, shim, process, mount or cgroup', async t => {
    const problems = await dk().stop()
    t.same(problems, [], 'teardown found nothing left behind')
  })
}
