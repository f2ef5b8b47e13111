/**
 * features.md and features-linux.md: `<runtime> features` prints a Features
 * structure that the official schema accepts, with the properties the spec
 * requires and the promises it makes (the versions and hooks it lists are
 * accepted in config.json).
 */
import t from 'tap'
import { setup, shell, openRuntime } from './lib/harness.js'
import { SPEC_REFERENCE_MISSING, SPEC_SCHEMA_DIR } from './lib/reference.js'
import { loadOfficialSchemas } from '../test/lib/official-schema.js'

interface Features {
  ociVersionMin: string
  ociVersionMax: string
  hooks?: string[] | null
  mountOptions?: string[] | null
  linux?: { namespaces?: string[] | null, capabilities?: string[] | null, cgroup?: Record<string, boolean | null> | null, apparmor?: { enabled?: boolean | null } | null, selinux?: { enabled?: boolean | null } | null } | null
  annotations?: Record<string, string> | null
}

/** Numeric MAJOR.MINOR.PATCH comparison (pre-release tags ignored). */
const versionKey = (v: string): number[] => v.split(/[.-]/).slice(0, 3).map(Number)
const atLeast = (a: string, b: string): boolean => {
  const [x, y] = [versionKey(a), versionKey(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) > (y[i] ?? 0)
  return true
}

async function features (t: Parameters<typeof openRuntime>[0]): Promise<Features> {
  const rt = await openRuntime(t)
  const r = await rt.run(['features'], { noRoot: true })
  t.equal(r.code, 0, `features exits 0: ${r.stderr}`)
  return JSON.parse(r.stdout) as Features
}

t.test('features.md: the Features structure is valid against the official features-schema.json', { skip: SPEC_REFERENCE_MISSING }, async t => {
  const doc = await features(t)
  const valid = loadOfficialSchemas(SPEC_SCHEMA_DIR)('features-schema.json')
  t.ok(valid(doc), 'the official schema accepts it', { doc })
  t.type(doc.ociVersionMin, 'string', 'ociVersionMin (REQUIRED)')
  t.type(doc.ociVersionMax, 'string', 'ociVersionMax (REQUIRED)')
  t.ok(atLeast(doc.ociVersionMax, doc.ociVersionMin), `"ociVersionMax MUST NOT be less than ociVersionMin" (${doc.ociVersionMin} .. ${doc.ociVersionMax})`)
})

t.test('features.md: "The runtime MUST accept this value as the ociVersion property of config.json" (min and max)', async t => {
  const doc = await features(t)
  for (const version of [doc.ociVersionMin, doc.ociVersionMax]) {
    const { rt, bundle, id } = await setup(t, spec => { spec.ociVersion = version; shell('true')(spec) }, {})
    const r = await rt.runContainer(id, bundle.dir)
    t.equal(r.code, 0, `ociVersion ${version} runs: ${r.stderr}`)
  }
})

t.test('features.md: "The runtime MUST support the elements in this array as the hooks property of config.json"', async t => {
  const doc = await features(t)
  const hooks = doc.hooks ?? []
  t.ok(hooks.length > 0, 'hooks are listed', { hooks })
  const { rt, bundle, id } = await setup(t, spec => {
    shell('true')(spec)
    spec.hooks = Object.fromEntries(hooks.map(h => [h, [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null'] }]]))
  }, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, `a config with one hook of each listed kind runs: ${r.stderr}`)
})

t.test('features-linux.md: the namespaces and capabilities it lists are ones config-linux.md defines', async t => {
  const doc = await features(t)
  const known = new Set(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'])
  t.same((doc.linux?.namespaces ?? []).filter(n => !known.has(n)), [], 'no unknown namespace type')
  t.ok((doc.linux?.capabilities ?? []).every(c => /^CAP_[A-Z_]+$/.test(c)), 'capabilities are CAP_ names')
})

t.test('features-linux.md: apparmor and selinux "enabled" say whether the runtime supports them (as runc 1.1.5: true)', async t => {
  const doc = await features(t)
  // process.apparmorProfile and process.selinuxLabel are applied (src/linux/security-labels.ts), whether or not this host has the LSM.
  t.equal(doc.linux?.apparmor?.enabled, true, 'linux.apparmor.enabled')
  t.equal(doc.linux?.selinux?.enabled, true, 'linux.selinux.enabled')
})
