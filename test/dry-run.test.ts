// create --dry-run prints the plan create would carry out (issue 13 item 8)
// and touches nothing: no state dir, no cgroup, no process, no mount. A
// config that create refuses, it refuses with the same line and exit code.
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TapLike } from '../conformance/lib/harness.js'
import { assertNothingLeft, bundleFor, snapshotHost } from '../conformance/lib/harness.js'
import type { Bundle, OciSpec } from '../conformance/lib/bundle.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { idWithCgroup, OCIRT } from './lib/ocirt.js'

const MEMORY_LIMIT = 64 * 1024 * 1024

async function fixture (t: TapLike, configure: (spec: OciSpec) => void): Promise<{ rt: Runtime, bundle: Bundle }> {
  const rt = await Runtime.open(process.env.RUNTIME ?? OCIRT)
  t.teardown(async () => { await rt.cleanup() })
  return { rt, bundle: bundleFor(t, configure, { shared: false }) }
}

interface DryRunPlan {
  mounts: Array<{ target: string, origin: string }>
  cgroup: { path: string, writes: Array<{ file: string, value: string, source: string }> }
  process: { args: string[] }
}

t.test('create --dry-run prints the plan and creates nothing', async t => {
  const { rt, bundle } = await fixture(t, spec => {
    spec.mounts!.push({ destination: '/data-a', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      { destination: '/data-b', type: 'tmpfs', source: 'tmpfs', options: ['size=2m'] })
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: MEMORY_LIMIT } }
  })
  // A create hook that would leave a mark: a dry run runs none.
  const hookMark = join(bundle.dir, 'hook-ran')
  const withHook = bundle.readConfig()
  withHook.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${hookMark}`] }], createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${hookMark}`] }] }
  bundle.writeConfig(withHook)
  const { id, cgroupPath } = idWithCgroup(t, rt, bundle, 'dryrun')
  const configured = bundle.readConfig()
  const before = snapshotHost()
  const r = await rt.run(['create', '--dry-run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'exits 0', { stderr: r.stderr })
  let plan: DryRunPlan | undefined
  t.doesNotThrow(() => { plan = JSON.parse(r.stdout) as DryRunPlan }, 'stdout is JSON')
  if (plan !== undefined) {
    // Each config mount's first step, in config order.
    const firstStepOf = configured.mounts!.map((_m, i) => plan!.mounts.findIndex(s => s.origin === `/mounts/${i}`))
    t.ok(firstStepOf.every(i => i >= 0), 'every config mount has a step', { firstStepOf })
    t.same(firstStepOf, [...firstStepOf].sort((a, b) => a - b), 'mount steps follow config order')
    const lastFirstStep = firstStepOf[firstStepOf.length - 1]
    t.same(lastFirstStep === undefined ? undefined : plan.mounts[lastFirstStep]?.target, '/data-b', 'the last config mount is /data-b')
    t.equal(plan.cgroup.path, cgroupPath, 'the cgroup path create would use')
    const limit = plan.cgroup.writes.find(w => w.source === '/linux/resources/memory/limit')
    t.ok(limit !== undefined && /\/memory\.(limit_in_bytes|max)$/.test(limit.file) && limit.file.includes(cgroupPath), 'the memory limit is written to the container cgroup', { writes: plan.cgroup.writes })
    t.equal(limit?.value, String(MEMORY_LIMIT))
    t.same(plan.process.args, configured.process!.args)
  }
  t.same(readdirSync(rt.root), [], 'no state dir in --root')
  t.notOk(existsSync(hookMark), 'no hook ran')
  await assertNothingLeft(t, rt, id, before, cgroupPath)
})

t.test('create --dry-run refuses an invalid config as create does', async t => {
  const { rt, bundle } = await fixture(t, spec => { spec.linux!.namespaces![1] = { type: 'netwrk' as 'network' } })
  const id = rt.newId('dryrun')
  const before = snapshotHost()
  const dry = await rt.run(['create', '--dry-run', '--bundle', bundle.dir, id])
  const real = await rt.run(['create', '--bundle', bundle.dir, id])
  t.equal(dry.code, 1, 'exit code 1')
  t.equal(dry.code, real.code, 'the exit code of create')
  t.match(dry.stderr, /config\.json: \/linux\/namespaces\/1\/type: must be one of/)
  t.equal(dry.stderr, real.stderr, 'the line of create')
  t.equal(dry.stdout, '', 'no plan printed')
  t.same(readdirSync(rt.root), [], 'no state dir in --root')
  await assertNothingLeft(t, rt, id, before)
})
