// containerd 1.6's CRI plugin running pods with the runtime under test as a
// RuntimeClass handler (the runc v2 shim with BinaryName = the runtime), as
// the kubelet drives it: a sandbox (pause) container, app containers joined
// to its IPC and PID namespaces by path, the kubelet's cgroup parents,
// resource updates, ExecSync, the RuntimeDefault seccomp profile, masked and
// read-only paths, /dev/shm shared from the sandbox, DNS files, container
// logs, graceful and forced stops, removal. CLIENT_RUNTIME picks the runtime
// (default dist/ocirt; /usr/sbin/runc to prove the tests against runc).
import t from 'tap'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Cri, HANDLER, grpcFailure } from './lib/cri.js'
import { CLIENT_RUNTIME, clientAvailable, mountsUnder, processesUnder, runtimeState, runtimeVersion, until } from './lib/common.js'
import { IMAGE } from './lib/containerd.js'

const unavailable = clientAvailable('containerd') || clientAvailable('ctr', ['--version'])
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()}), RuntimeClass handler "${HANDLER}"`)
  let cri: Cri
  t.before(async () => { cri = await Cri.start() })
  t.teardown(async () => { await cri?.stop() })

  // What the kubelet sends for a pod with hostNetwork, shareProcessNamespace and a DNS policy.
  const shareAll = { network: 'NODE', pid: 'POD', ipc: 'POD' }
  const podConfig = (name: string): Record<string, any> => ({
    metadata: { name, uid: randomBytes(8).toString('hex'), namespace: 'ocirt-test', attempt: 0 },
    hostname: '',
    log_directory: join(cri.ctrd.base, 'logs', name),
    dns_config: { servers: ['10.96.0.10'], searches: ['ocirt-test.svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    labels: { app: name },
    linux: {
      cgroup_parent: `${cri.ctrd.cgroupParent}/pod-${name}`,
      security_context: { namespace_options: shareAll, seccomp: { profile_type: 'RuntimeDefault' } },
    },
  })
  const containerConfig = (name: string, script: string, linux: Record<string, any> = {}): Record<string, any> => ({
    metadata: { name, attempt: 0 },
    image: { image: IMAGE },
    command: ['sh', '-c', script],
    log_path: `${name}.log`,
    linux: { ...linux, security_context: { namespace_options: shareAll, ...linux.security_context } },
  })

  /** The cgroup v1 file of a container under the pod's cgroup parent. */
  const cgroupFile = (pod: Record<string, any>, id: string, controller: string, file: string): string =>
    readFileSync(`/sys/fs/cgroup/${controller}${pod.linux.cgroup_parent}/${id}/${file}`, 'utf8').trim()

  /** A container's log, as the CRI writes it: "TIME STREAM TAG TEXT" lines; returns "STREAM TEXT" lines. */
  const logLines = (pod: Record<string, any>, name: string): string[] => {
    try {
      return readFileSync(join(pod.log_directory, `${name}.log`), 'utf8').split('\n').filter(Boolean).map(l => {
        const [, stream, , ...text] = l.split(' ')
        return `${stream} ${text.join(' ')}`
      })
    } catch { return [] }
  }

  const exec = async (id: string, cmd: string[], timeout = 10): Promise<{ stdout: string, stderr: string, exit_code: number }> => {
    const r = await cri.call<{ stdout: Buffer, stderr: Buffer, exit_code: number }>('ExecSync', { container_id: id, cmd, timeout })
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exit_code: r.exit_code }
  }
  const status = async (id: string): Promise<Record<string, any>> => (await cri.call('ContainerStatus', { container_id: id })).status
  const waitExited = async (id: string, timeoutMs = 15_000): Promise<Record<string, any> | undefined> =>
    await until(async () => { const s = await status(id); return s.state === 'CONTAINER_EXITED' ? s : undefined }, timeoutMs, 100)

  /** CreateContainer + StartContainer in the pod; the container's id. */
  const startContainer = async (podId: string, pod: Record<string, any>, config: Record<string, any>): Promise<string> => {
    const { container_id: id } = await cri.call('CreateContainer', { pod_sandbox_id: podId, config, sandbox_config: pod })
    await cri.call('StartContainer', { container_id: id })
    return id
  }

  t.test('a pod: sandbox and two containers sharing its namespaces, exec, logs, updates, stops, removal', async t => {
    const pod = podConfig('web')
    const { pod_sandbox_id: podId } = await cri.call('RunPodSandbox', { config: pod, runtime_handler: HANDLER })
    cri.ctrd.track(podId)
    const podStatus = (await cri.call('PodSandboxStatus', { pod_sandbox_id: podId })).status
    t.equal(podStatus.state, 'SANDBOX_READY', 'the sandbox is ready')
    t.equal(podStatus.runtime_handler, HANDLER, `with the "${HANDLER}" handler`)
    t.equal(runtimeState(podId, cri.runtimeRoot)?.status, 'running', 'the runtime under test runs the sandbox (its own `state`)')

    const app = await startContainer(podId, pod, containerConfig('app',
      'echo hello from app; echo to stderr >&2; trap "echo got TERM; exit 0" TERM; echo up > /dev/shm/app-up; while :; do sleep 0.1; done',
      { resources: { cpu_shares: 512, memory_limit_in_bytes: 64 << 20 } }))
    const sidecar = await startContainer(podId, pod, containerConfig('sidecar', 'trap "" TERM; echo from sidecar > /dev/shm/sidecar; while :; do sleep 0.1; done'))
    for (const id of [app, sidecar]) t.equal((await status(id)).state, 'CONTAINER_RUNNING', `${id.slice(0, 12)} is RUNNING`)
    t.equal(runtimeState(app, cri.runtimeRoot)?.status, 'running', 'the runtime under test runs the containers')

    await t.test('namespaces shared with the sandbox, /dev/shm, DNS files', async t => {
      const sandboxPid = JSON.parse(readFileSync(join(cri.ctrd.base, 'state', 'io.containerd.runtime.v2.task', 'k8s.io', podId, 'init.pid'), 'utf8')) as number
      const ns = async (id: string, type: string): Promise<string> => (await exec(id, ['readlink', `/proc/self/ns/${type}`])).stdout.trim()
      for (const type of ['ipc', 'pid']) {
        const sandboxNs = readlinkSync(`/proc/${sandboxPid}/ns/${type}`)
        t.equal(await ns(app, type), sandboxNs, `app joined the sandbox's ${type} namespace`)
        t.equal(await ns(sidecar, type), sandboxNs, `sidecar joined the sandbox's ${type} namespace`)
      }
      t.equal(await ns(app, 'net'), readlinkSync('/proc/self/ns/net'), 'the host network (NamespaceMode NODE)')
      const ps = (await exec(app, ['ps', '-o', 'pid,args'])).stdout
      t.match(ps, /^\s*1 \/pause -P$/m, 'the pause process is pid 1 of the shared pid namespace', { ps })
      t.match(ps, /trap "" TERM/, 'and the sidecar is visible from app', { ps })
      t.equal((await exec(app, ['cat', '/dev/shm/sidecar'])).stdout, 'from sidecar\n', '/dev/shm is shared from the sandbox')
      const resolv = (await exec(app, ['cat', '/etc/resolv.conf'])).stdout
      t.match(resolv, /nameserver 10\.96\.0\.10/, 'resolv.conf from the pod\'s DNS config', { resolv })
      t.match(resolv, /search ocirt-test\.svc\.cluster\.local cluster\.local/)
      t.match(resolv, /options ndots:5/)
      t.ok((await exec(app, ['cat', '/etc/hostname'])).stdout.length > 0, '/etc/hostname is there')
    })

    await t.test('ExecSync: output, exit code, timeout', async t => {
      const r = await exec(app, ['sh', '-c', 'echo out; echo err >&2; exit 3'])
      t.same(r, { stdout: 'out\n', stderr: 'err\n', exit_code: 3 }, 'stdout, stderr and exit code')
      const started = Date.now()
      const timedOut = await exec(app, ['sleep', '30'], 1).then(() => undefined, (err: unknown) => grpcFailure(err))
      t.ok(timedOut !== undefined, 'an exec that runs over its timeout fails', { timedOut })
      t.match(timedOut?.details ?? '', /timeout|deadline/i, 'with a timeout error')
      t.ok(Date.now() - started < 10_000, 'soon after the timeout')
      t.ok(await until(async () => !(await exec(app, ['ps', '-o', 'args'])).stdout.includes('sleep 30'), 10_000, 200), 'the timed-out process was killed')
    })

    await t.test('container logs in the log directory', async t => {
      t.ok(await until(() => logLines(pod, 'app').length >= 2, 10_000), 'the log has both lines')
      t.same(logLines(pod, 'app').sort(), ['stderr to stderr', 'stdout hello from app'], 'stdout and stderr, tagged')
      t.equal((await status(app)).log_path, join(pod.log_directory, 'app.log'), 'ContainerStatus names the log path')
    })

    await t.test('UpdateContainerResources: CPU and memory, in the cgroup', async t => {
      t.equal(cgroupFile(pod, app, 'cpu', 'cpu.shares'), '512', 'cpu shares from CreateContainer')
      t.equal(cgroupFile(pod, app, 'memory', 'memory.limit_in_bytes'), String(64 << 20), 'memory limit from CreateContainer')
      await cri.call('UpdateContainerResources', { container_id: app, linux: { cpu_shares: 256, cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 96 << 20 } })
      t.equal(cgroupFile(pod, app, 'cpu', 'cpu.shares'), '256', 'cpu shares updated')
      t.equal(cgroupFile(pod, app, 'cpu', 'cpu.cfs_quota_us'), '50000', 'cpu quota updated')
      t.equal(cgroupFile(pod, app, 'cpu', 'cpu.cfs_period_us'), '100000', 'cpu period updated')
      t.equal(cgroupFile(pod, app, 'memory', 'memory.limit_in_bytes'), String(96 << 20), 'memory limit updated')
      t.equal((await status(app)).state, 'CONTAINER_RUNNING', 'still running')
    })

    await t.test('RuntimeDefault seccomp, masked and read-only paths, run as a user; the container exits and is removed', async t => {
      const id = await startContainer(podId, pod, containerConfig('restricted',
        'grep "^Seccomp:" /proc/self/status; echo keys=$(wc -c < /proc/keys); touch /proc/sys/kernel/x 2>/dev/null || echo proc-sys-ro; echo uid=$(id -u)',
        { security_context: { seccomp: { profile_type: 'RuntimeDefault' }, run_as_user: { value: 1000 }, masked_paths: ['/proc/keys'], readonly_paths: ['/proc/sys'] } }))
      const s = await waitExited(id)
      t.equal(s?.exit_code, 0, 'it ran to completion, and the CRI saw it exit', { status: s })
      const lines = logLines(pod, 'restricted')
      t.ok(lines.some(l => /^stdout Seccomp:\s+2$/.test(l)), 'seccomp filter mode (the RuntimeDefault profile)', { lines })
      t.ok(lines.includes('stdout keys=0'), 'a masked path reads empty')
      t.ok(lines.includes('stdout proc-sys-ro'), '/proc/sys is read-only')
      t.ok(lines.includes('stdout uid=1000'), 'runs as uid 1000')
      await cri.call('RemoveContainer', { container_id: id })
      t.equal(runtimeState(id, cri.runtimeRoot), undefined, 'the runtime no longer has it')
    })

    await t.test('read-only root filesystem and dropped capabilities', async t => {
      const id = await startContainer(podId, pod, containerConfig('locked',
        'touch /newfile 2>/dev/null || echo rootfs-ro; chown 1000 /tmp 2>/dev/null || echo chown-denied; grep ^CapBnd /proc/self/status',
        { security_context: { readonly_rootfs: true, capabilities: { drop_capabilities: ['CHOWN', 'NET_RAW'] } } }))
      const s = await waitExited(id)
      t.equal(s?.exit_code, 0, 'it ran to completion', { status: s })
      const lines = logLines(pod, 'locked')
      t.ok(lines.includes('stdout rootfs-ro'), 'the root filesystem is read-only', { lines })
      t.ok(lines.includes('stdout chown-denied'), 'CAP_CHOWN was dropped')
      const bnd = lines.find(l => l.startsWith('stdout CapBnd:'))?.split(/\s+/).pop() ?? '0'
      t.equal(BigInt(`0x${bnd}`) & ((1n << 0n) | (1n << 13n)), 0n, 'CHOWN (0) and NET_RAW (13) are not in the bounding set')
      await cri.call('RemoveContainer', { container_id: id })
    })

    await t.test('StopContainer: graceful (the program handles TERM), then past the grace period (SIGKILL)', async t => {
      await cri.call('StopContainer', { container_id: app, timeout: 10 })
      const a = await status(app)
      t.equal(a.state, 'CONTAINER_EXITED', 'app exited')
      t.equal(a.exit_code, 0, 'with its TERM handler\'s status')
      t.ok(await until(() => logLines(pod, 'app').includes('stdout got TERM'), 5000), 'its handler ran')
      const started = Date.now()
      await cri.call('StopContainer', { container_id: sidecar, timeout: 1 })
      const s = await status(sidecar)
      t.equal(s.state, 'CONTAINER_EXITED', 'sidecar (which ignores TERM) exited')
      t.equal(s.exit_code, 137, 'killed by SIGKILL after the grace period')
      t.ok(Date.now() - started >= 1000, 'not before the grace period')
      for (const id of [app, sidecar]) await cri.call('StopContainer', { container_id: id, timeout: 0 })
      t.pass('stopping a stopped container again succeeds')
      for (const id of [app, sidecar]) await cri.call('RemoveContainer', { container_id: id })
      t.same((await cri.call('ListContainers', { filter: { pod_sandbox_id: podId } })).containers, [], 'no container left in the pod')
    })

    await cri.call('StopPodSandbox', { pod_sandbox_id: podId })
    t.equal((await cri.call('PodSandboxStatus', { pod_sandbox_id: podId })).status.state, 'SANDBOX_NOTREADY', 'StopPodSandbox: NOTREADY')
    await cri.call('StopPodSandbox', { pod_sandbox_id: podId })
    await cri.call('RemovePodSandbox', { pod_sandbox_id: podId })
    t.same((await cri.call('ListPodSandbox', {})).items, [], 'ListPodSandbox: nothing')
    t.same((await cri.call('ListContainers', {})).containers, [], 'ListContainers: nothing')
    t.same(cri.runtimeList(), [], 'the runtime\'s `list` agrees: nothing')
    t.same(processesUnder(pod.linux.cgroup_parent), [], 'no process is left in the pod\'s cgroup')
    t.same(mountsUnder(join(cri.ctrd.base, 'state')), [], 'no mount is left (the sandbox\'s /dev/shm, rootfs)')
  })

  t.test('a container that exits on its own is reaped, and its pod stops and is removed (the shim\'s kill --all of a stopped container)', async t => {
    const pod = podConfig('oneshot')
    const { pod_sandbox_id: podId } = await cri.call('RunPodSandbox', { config: pod, runtime_handler: HANDLER })
    cri.ctrd.track(podId)
    const id = await startContainer(podId, pod, containerConfig('job', 'echo done; exit 4'))
    const s = await waitExited(id)
    t.equal(s?.exit_code, 4, 'EXITED with the program\'s status', { status: s })
    const failure = async (call: Promise<unknown>): Promise<unknown> => await call.then(() => undefined, (err: unknown) => grpcFailure(err))
    t.equal(await failure(cri.call('StopContainer', { container_id: id, timeout: 2 })), undefined, 'StopContainer succeeds')
    t.equal(await failure(cri.call('RemoveContainer', { container_id: id })), undefined, 'RemoveContainer succeeds')
    t.equal(await failure(cri.call('StopPodSandbox', { pod_sandbox_id: podId })), undefined, 'StopPodSandbox succeeds')
    t.equal(await failure(cri.call('RemovePodSandbox', { pod_sandbox_id: podId })), undefined, 'RemovePodSandbox succeeds')
    t.same((await cri.call('ListPodSandbox', {})).items, [], 'ListPodSandbox: nothing')
    t.same(cri.runtimeList(), [], 'the runtime\'s `list`: nothing')
  })

  t.test('nothing is left: no pod, task, shim, process, mount, cgroup, or /run/containerd dir it made', async t => {
    const problems = await cri.stop()
    t.same(problems, [], 'teardown found nothing left behind')
    t.notOk(existsSync(cri.ctrd.base), 'the private dir is gone')
  })
}
