/**
 * config-linux.md "Personality" and config.md "Linux Process": scheduler,
 * ioPriority and execCPUAffinity, each read back from inside the container
 * (/proc/self/personality, uname -m, /proc/self/stat, ionice(2) through
 * busybox, /proc/self/status).
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectDeviation, setup, shell, args, WAIT_GO, type TapLike } from './lib/harness.js'
import type { OciSpec } from './lib/bundle.js'

/** `run` a container and return its stdout; fails the test unless the container exits 0. */
async function runIt (t: TapLike, configure: (spec: OciSpec) => void): Promise<string> {
  const { rt, bundle, id } = await setup(t, configure, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  return r.stdout
}

/** /proc/<pid>/stat fields (1-based, as proc(5) numbers them), the comm field skipped safely. */
function statFields (line: string): (n: number) => string | undefined {
  const rest = line.slice(line.lastIndexOf(')') + 2).trim().split(' ')
  return n => rest[n - 3]
}

t.test('config-linux.md#personality: domain LINUX32 — /proc/self/personality is PER_LINUX32 and uname -m a 32-bit machine', async t0 => {
  const t = expectDeviation(t0, 'process-attributes-ignored')
  const out = await runIt(t, spec => {
    shell('cat /proc/self/personality; uname -m')(spec)
    spec.linux!.personality = { domain: 'LINUX32' }
  })
  const [persona, machine] = out.trim().split('\n')
  t.equal(persona, '00000008', 'persona PER_LINUX32 (0x0008)')
  t.match(machine, /^i[3-6]86$/, 'uname shows a 32-bit CPU type', { machine })
})

t.test('config-linux.md#personality: domain LINUX — the default persona', async t => {
  const out = await runIt(t, spec => {
    shell('cat /proc/self/personality')(spec)
    spec.linux!.personality = { domain: 'LINUX' }
  })
  t.equal(out.trim(), '00000000', 'persona PER_LINUX')
})

/** Each scheduler and the /proc/self/stat fields (proc(5) numbering) it must show. */
const SCHEDULERS: Array<[Record<string, unknown>, string, Record<number, string>]> = [
  [{ policy: 'SCHED_BATCH', nice: 7 }, 'policy 3, nice 7', { 41: '3', 19: '7' }],
  [{ policy: 'SCHED_FIFO', priority: 10 }, 'policy 1, rt_priority 10', { 41: '1', 40: '10' }],
  [{ policy: 'SCHED_IDLE' }, 'policy 5', { 41: '5' }],
]
/**
 * With cgroup v1 real-time group scheduling, a new cpu cgroup has no
 * real-time budget (cpu.rt_runtime_us 0) and sched_setattr(SCHED_FIFO) fails
 * with EPERM in it: the container's cgroup is given a little, directly under
 * the root (the shared test parent has no budget to hand down), at a unique
 * path of its own that the runtime removes with the container.
 */
const rtGroupBudget = existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')

for (const [scheduler, shown, fields] of SCHEDULERS) {
  t.test(`config.md#linux-process scheduler: ${JSON.stringify(scheduler)} — /proc/self/stat ${shown}`, async t0 => {
    const t = expectDeviation(t0, 'process-attributes-ignored')
    const out = await runIt(t, spec => {
      args('cat', '/proc/self/stat')(spec)
      spec.process!.scheduler = scheduler
      if (scheduler.policy === 'SCHED_FIFO' && rtGroupBudget) {
        spec.linux!.resources = { cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } }
        spec.linux!.cgroupsPath = `/ocirt-rt-test-${randomBytes(5).toString('hex')}`
      }
    })
    const field = statFields(out)
    for (const [n, value] of Object.entries(fields)) t.equal(field(Number(n)), value, `field ${n}`)
  })
}

t.test('config.md#linux-process scheduler: SCHED_DEADLINE runtime/deadline/period — /proc/self/stat policy 6', async t0 => {
  const t = expectDeviation(t0, 'process-attributes-ignored')
  // cat is exec'd directly: a SCHED_DEADLINE task may not fork.
  const out = await runIt(t, spec => {
    args('cat', '/proc/self/stat')(spec)
    spec.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1_000_000, deadline: 10_000_000, period: 10_000_000 }
  })
  t.equal(statFields(out)(41), '6', 'policy SCHED_DEADLINE')
})

for (const [cls, priority, shown] of [['IOPRIO_CLASS_BE', 6, 'best-effort: prio 6'], ['IOPRIO_CLASS_RT', 2, 'realtime: prio 2'], ['IOPRIO_CLASS_IDLE', 0, 'idle']] as const) {
  t.test(`config.md#linux-process ioPriority: ${cls} priority ${priority} — ioprio_get shows it`, async t0 => {
    const t = expectDeviation(t0, 'process-attributes-ignored')
    const out = await runIt(t, spec => {
      shell('busybox ionice')(spec)
      spec.process!.ioPriority = { class: cls, priority }
    })
    t.equal(out.trim(), shown)
  })
}

const twoCpus = cpus().length >= 2 ? false : 'needs two CPUs'
for (const [affinity, expected] of [[{ initial: '1', final: '0' }, '0'], [{ initial: '1' }, '1'], [{ final: '1' }, '1']] as const) {
  t.test(`config.md#linux-process execCPUAffinity ${JSON.stringify(affinity)}: the exec'd process runs on CPU ${expected}`, { skip: twoCpus }, async t0 => {
    const t = expectDeviation(t0, 'process-attributes-ignored')
    const { rt, bundle, id } = await setup(t, shell(`${WAIT_GO}; exit 0`))
    t.equal((await rt.create(id, bundle.dir)).code, 0, 'create succeeds')
    t.equal((await rt.start(id)).code, 0, 'start succeeds')
    const processJson = join(bundle.dir, 'process.json')
    writeFileSync(processJson, JSON.stringify({
      args: ['grep', 'Cpus_allowed_list', '/proc/self/status'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, execCPUAffinity: affinity,
    }))
    const r = await rt.run(['exec', '--process', processJson, id])
    t.equal(r.code, 0, 'exec exits 0', { stderr: r.stderr })
    t.equal(r.stdout.trim().split(/\s+/)[1], expected, `Cpus_allowed_list is ${expected}`, { stdout: r.stdout })
  })
}
