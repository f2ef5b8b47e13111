/**
 * Fuzzing the whole path from config.json to the container: random,
 * seeded mutations of real configs go through validation and the plan
 * builder (any JSON in: a ConfigError or a plan out, never another
 * exception), and a sample of them through a real `ocirt create` (success,
 * or exit 1 with a message, and never a half-made container left behind).
 */
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { bundleFor, cgroupDirsFor, snapshotHost, TEST_CGROUP_PARENT, waitFor } from '../conformance/lib/harness.js'
import { inheritedChildren, isAlive, reapOrphans } from '../conformance/lib/reaper.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { OcirtError } from '../src/errors.js'
import { buildPlan } from '../src/linux/plan.js'
import { planCgroup } from '../src/linux/cgroups/index.js'
import { compileDeviceFilter } from '../src/linux/cgroups/device-filter.js'
import { parseConfig } from '../src/spec/validate.js'
import { cyclic, type Json, mutate, prng } from './lib/mutate.js'
import { hostMounts, OCIRT, REPO } from './lib/ocirt.js'

const seeds = ['runc-1.1.5-spec.json', 'podman-4.3-run.json', 'containerd-1.6-cri-container.json', 'crun-1.8.1-spec.json']
  .map(name => JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'configs', name), 'utf8')) as { root?: { path?: string }, process?: { terminal?: boolean } })

/** A seed config pointed at a real rootfs, so that the plan builder gets past root.path. */
function seedFor (i: number, rootfs: string): Json {
  const doc = structuredClone(cyclic(seeds, i))
  doc.root = { ...(doc.root ?? {}), path: rootfs }
  if (doc.process !== undefined) doc.process.terminal = false
  return doc as Json
}

t.test('config → plan (and cgroup plan): 4,000 mutated configs give a ConfigError or a plan, never anything else', async t => {
  const bundle = bundleFor(t, undefined, { shared: false })
  const random = prng(0x0c1a7)
  const runs = 4000
  let planned = 0
  let rejected = 0
  const unexpected: Array<{ config: string, error: string }> = []
  for (let i = 0; i < runs; i++) {
    const doc = seedFor(i, bundle.rootfs)
    const mutations = 1 + Math.floor(random() * 3)
    for (let m = 0; m < mutations; m++) mutate(doc, random)
    const text = JSON.stringify(doc)
    try {
      const spec = parseConfig(text)
      const plan = buildPlan(spec, { bundle: bundle.dir, stateDir: join(bundle.dir, 'state'), id: 'fuzz', preserveFds: 0, noPivot: false, noNewKeyring: false, consoleSocket: undefined })
      // The cgroup half of the plan too: the resource writes and device rules (the eBPF program on v2).
      const cgroupPlan = planCgroup(spec)
      compileDeviceFilter(cgroupPlan.devices.map(r => r.rule))
      if (plan.init.process.args.length === 0) throw new Error('a plan without args')
      planned++
    } catch (e) {
      if (e instanceof OcirtError) rejected++
      else unexpected.push({ config: text, error: String((e as Error)?.stack ?? e) })
    }
  }
  t.same(unexpected.slice(0, 3), [], 'no exception other than a ConfigError or another OcirtError')
  t.ok(planned > 100 && rejected > 100, `both outcomes occur often (planned ${planned}, rejected ${rejected})`)
  t.comment(`fuzz: ${runs} configs, ${planned} planned, ${rejected} rejected with an error naming the problem`)
})

t.test('config → container: 40 mutated configs through ocirt create leave nothing behind when they fail', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(async () => { await rt.cleanup() })
  const bundle = bundleFor(t, undefined, { shared: false })
  const random = prng(4242)
  const before = snapshotHost()
  let created = 0
  let failed = 0
  for (let i = 0; i < 40; i++) {
    const doc = seedFor(0, bundle.rootfs) as { process: { args: string[] } }
    doc.process.args = ['true']
    for (let m = 0; m < 2; m++) mutate(doc as unknown as Json, random)
    // Whatever the mutation did, the container's cgroup goes under the tests' own parent.
    const cgroupPath = `${TEST_CGROUP_PARENT}/fuzz-${i}`
    const linux = (doc as { linux?: unknown }).linux
    if (linux !== null && typeof linux === 'object' && !Array.isArray(linux)) (linux as { cgroupsPath?: string }).cgroupsPath = cgroupPath
    bundle.writeConfig(doc as unknown as Parameters<typeof bundle.writeConfig>[0])
    const id = rt.newId('fuzz')
    const r = await rt.create(id, bundle.dir)
    if (r.code === 0) {
      created++
      t.equal((await rt.delete(id, true)).code, 0, `${id}: delete --force`)
    } else {
      failed++
      t.equal(r.code, 1, `${id}: exit 1`)
      t.match(r.stderr, /^ocirt: /, `${id}: an error message`)
      t.notMatch(r.stderr, /internal error/, `${id}: not an internal error`, { config: JSON.stringify(doc) })
    }
    t.same(readdirSync(rt.root), [], `${id}: no state dir left`)
    t.same(cgroupDirsFor(cgroupPath), [], `${id}: no cgroup left`)
  }
  await waitFor(() => { reapOrphans(); return inheritedChildren().filter(p => isAlive(p) && !before.children.has(p)).length === 0 }, 2000)
  t.same(inheritedChildren().filter(p => isAlive(p) && !before.children.has(p)), [], 'no process left')
  t.same(hostMounts().filter(l => !before.mountinfo.has(l)), [], 'no mount left on the host')
  t.ok(created > 0 && failed > 0, `both outcomes occur (created ${created}, failed ${failed})`)
  t.comment(`fuzz: 40 real creates, ${created} created and deleted, ${failed} refused`)
})
