/**
 * The unit tier: config → plan as a pure function of (config, bundle,
 * options, host facts, caller), with fixed host facts so that it runs
 * without root and without dist/ocirt. Each fixture config's plan is
 * compared structurally with its JSON snapshot in test/unit/plans/; set
 * OCIRT_UPDATE_PLANS=1 to rewrite them after an intended change, and
 * review the diff.
 */
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../../src/errors.js'
import type { HostFacts } from '../../src/linux/host-facts.js'
import { buildExecPlan, type ExecPlan, type JoinPlan, joinWirePlan } from '../../src/linux/exec-plan.js'
import { buildPlan, type ContainerInitPlan, type PlanOptions } from '../../src/linux/plan.js'
import type { Caller } from '../../src/linux/rootless.js'
import { requireProcess } from '../../src/spec/semantic.js'
import { parseConfig } from '../../src/spec/validate.js'
import { jsonSafe } from '../../src/json-safe.js'
import { describeFailure } from '../../src/linux/failure.js'
import { InitPhase } from '../../src/generated/plan.js'
import { loadNative } from '../../src/native.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(HERE, '..', 'fixtures', 'configs')
const SNAPSHOTS = join(HERE, 'plans')

/** Real root in the initial user namespace (a containerd or Docker host). */
const ROOT_HOST: HostFacts = { euid: 0, inUserNamespace: false, setgroupsDenied: false }
const ROOT_CALLER: Caller = { uid: 0, gid: 0, name: 'root', capSetuid: true, capSetgid: true, capSysAdmin: true, capProcAccess: true }
/** A rootless engine's runtime: uid 0 inside the user namespace newuidmap made, with its capabilities there. */
const ENGINE_USERNS_HOST: HostFacts = { euid: 0, inUserNamespace: true, setgroupsDenied: false }

const bundle = mkdtempSync(join(tmpdir(), 'ocirt-unit-plan-'))
t.teardown(() => { rmSync(bundle, { recursive: true, force: true }) })
mkdirSync(join(bundle, 'rootfs'))

function optionsFor (facts: HostFacts, caller: Caller): PlanOptions {
  return { bundle, stateDir: '/run/ocirt-unit/state', id: 'unit', preserveFds: 0, noPivot: false, noNewKeyring: false, consoleSocket: undefined, caller, hostFacts: facts }
}

/**
 * A bind mount's source named by the fixture but absent here (an engine's
 * per-container files), made in the temporary bundle: a file when its name
 * has an extension, else a directory.
 */
function sourceInBundle (source: string, index: number): string {
  const made = join(bundle, 'sources', String(index))
  mkdirSync(join(bundle, 'sources'), { recursive: true })
  if (!existsSync(made)) {
    if (/\.[a-z]+$/.test(source)) writeFileSync(made, '')
    else mkdirSync(made)
  }
  return made
}

/** The fixture with its rootfs and absent bind sources in the temporary bundle and no terminal (a console socket is a per-run path). */
function fixtureText (name: string): string {
  const doc = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as { root?: { path?: string }, process?: { terminal?: boolean }, mounts?: Array<{ source?: string, options?: string[], type?: string }> }
  doc.root = { ...(doc.root ?? {}), path: 'rootfs' }
  for (const [index, mount] of (doc.mounts ?? []).entries()) {
    const bind = mount.type === 'bind' || (mount.options ?? []).some(o => o === 'bind' || o === 'rbind')
    if (bind && mount.source?.startsWith('/') === true && !existsSync(mount.source)) mount.source = sourceInBundle(mount.source, index)
  }
  if (doc.process !== undefined) {
    doc.process.terminal = false
    // Whether AppArmor is enabled is still read from the host by security-labels.ts, not a host fact: the label is left out.
    delete (doc.process as { apparmorProfile?: string }).apparmorProfile
  }
  return JSON.stringify(doc)
}

/** The plan as JSON with the temporary bundle's path replaced, so that snapshots compare across runs. */
function normalized (value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => {
    if (typeof v !== 'string') return jsonSafe(key, v)
    // The caller's own cgroup (a bind source of the cgroup mount) is this test process's, which differs from run to run.
    const text = v.split(bundle).join('<bundle>')
    return key === 'source' ? text.replace(/^(\/sys\/fs\/cgroup\/[^/]+)(\/.*)?$/, '$1/<own cgroup>') : text
  }))
}

function matchesSnapshot (t: Test, name: string, actual: unknown): void {
  const file = join(SNAPSHOTS, `${name}.json`)
  if (process.env.OCIRT_UPDATE_PLANS === '1') {
    writeFileSync(file, JSON.stringify(actual, null, 2) + '\n')
    t.pass(`${name}: snapshot written`)
    return
  }
  t.same(actual, JSON.parse(readFileSync(file, 'utf8')), `${name}: the plan matches test/unit/plans/${name}.json`)
}

const cases: Array<{ fixture: string, host: string, facts: HostFacts, caller: Caller }> = [
  { fixture: 'runc-1.1.5-spec.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'crun-1.8.1-spec.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'podman-4.3-run.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'containerd-1.6-cri-container.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'containerd-1.6-cri-sandbox.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'podman-4.3-run.json', host: 'engine-userns', facts: ENGINE_USERNS_HOST, caller: ROOT_CALLER },
]

for (const c of cases) {
  t.test(`${c.fixture} on a ${c.host} host`, async t => {
    const plan = buildPlan(parseConfig(fixtureText(c.fixture)), optionsFor(c.facts, c.caller))
    matchesSnapshot(t, `${c.fixture.replace(/\.json$/, '')}.${c.host}`, normalized(plan))
  })
}

t.test('host facts decide the plan, not the process running the test', async t => {
  const spec = parseConfig(fixtureText('podman-4.3-run.json'))
  const onRoot = buildPlan(spec, optionsFor(ROOT_HOST, ROOT_CALLER))
  const inEngineUserns = buildPlan(spec, optionsFor(ENGINE_USERNS_HOST, ROOT_CALLER))
  t.equal(onRoot.rootless, false, 'root in the initial user namespace is not rootless')
  t.equal(inEngineUserns.rootless, true, 'uid 0 in an engine\'s user namespace is rootless (runc\'s shouldUseRootlessCgroupManager)')
  const withoutGroups = parseConfig(fixtureText('runc-1.1.5-spec.json'))
  const denied = buildPlan(withoutGroups, optionsFor({ ...ROOT_HOST, setgroupsDenied: true }, ROOT_CALLER))
  t.equal(denied.init.setgroupsDeny, true, 'a user namespace denying setgroups is carried into the plan')
})

function configError (t: Test, mutate: (doc: Record<string, any>) => void, pointer: string, facts: HostFacts = ROOT_HOST): void {
  const doc = JSON.parse(fixtureText('runc-1.1.5-spec.json')) as Record<string, any>
  mutate(doc)
  try {
    buildPlan(parseConfig(JSON.stringify(doc)), optionsFor(facts, ROOT_CALLER))
    t.fail(`expected a ConfigError at ${pointer}`)
  } catch (e) {
    t.type(e, ConfigError)
    t.equal((e as ConfigError).pointer, pointer, (e as Error).message)
  }
}

t.test('bad configs name the JSON path', async t => {
  configError(t, doc => { delete doc.process }, '')
  configError(t, doc => { doc.root.path = 'no-such-rootfs' }, '/root/path')
  configError(t, doc => { doc.process.user.additionalGids = [10] }, '/process/user/additionalGids', { ...ROOT_HOST, setgroupsDenied: true })
})

t.test('exec: host facts decide how the pid namespace is joined', async t => {
  const spec = parseConfig(fixtureText('runc-1.1.5-spec.json'))
  const execOptions = { id: 'unit', initPid: 4242, rootfs: join(bundle, 'rootfs'), preserveFds: 0, noNewKeyring: false, consoleSocket: undefined }
  const onRoot = buildExecPlan(spec, requireProcess(spec), { ...execOptions, hostFacts: ROOT_HOST })
  t.equal(onRoot.join.joinPidNamespace, '/proc/4242/ns/pid', 'as root the parent joins the pid namespace')
  t.equal(onRoot.join.forkAfterUnshare, false)
  const inEngineUserns = buildExecPlan(spec, requireProcess(spec), { ...execOptions, hostFacts: ENGINE_USERNS_HOST })
  t.equal(inEngineUserns.join.joinPidNamespace, '', 'in an engine\'s user namespace the child joins it')
  t.equal(inEngineUserns.join.forkAfterUnshare, true)
  t.equal(inEngineUserns.rootless, true)
})

/** Above PID_MAX_LIMIT (2^22, threads.h): no process has it, so an exec plan reads nothing of this host's /proc for it. */
const NO_SUCH_PID = 4194305
/** An unprivileged user in the initial user namespace (runc's rootless mode). */
const USER_HOST: HostFacts = { euid: 1000, inUserNamespace: false, setgroupsDenied: false }
const USER_CALLER: Caller = { uid: 1000, gid: 1000, name: 'user', capSetuid: false, capSetgid: false, capSysAdmin: false, capProcAccess: false }

/** The fixture without its mount namespace: exec chroots into the init's root instead of joining one. */
function withoutMountNamespace (text: string): string {
  const doc = JSON.parse(text) as { linux: { namespaces: Array<{ type: string }> } }
  doc.linux.namespaces = doc.linux.namespaces.filter(n => n.type !== 'mount')
  return JSON.stringify(doc)
}

interface ExecCase { fixture: string, host: string, facts: HostFacts, caller: Caller, edit?: (text: string) => string, variant?: string }
const runcExecOnRoot: ExecCase = { fixture: 'runc-1.1.5-spec.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER }
const execCases: ExecCase[] = [
  runcExecOnRoot,
  { fixture: 'runc-1.1.5-spec.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER, edit: withoutMountNamespace, variant: 'no-mount-ns' },
  { fixture: 'podman-4.3-run.json', host: 'root', facts: ROOT_HOST, caller: ROOT_CALLER },
  { fixture: 'podman-4.3-run.json', host: 'engine-userns', facts: ENGINE_USERNS_HOST, caller: ROOT_CALLER },
  { fixture: 'runc-1.1.5-spec-rootless.json', host: 'user', facts: USER_HOST, caller: USER_CALLER },
]

for (const c of execCases) {
  const name = `exec.${c.fixture.replace(/\.json$/, '')}${c.variant !== undefined ? `.${c.variant}` : ''}.${c.host}`
  t.test(`exec plan: ${name}`, async t => {
    const plan = execPlanFor(c)
    // What the child runs (the wire plan) and what ocirt reports around it.
    matchesSnapshot(t, name, normalized({ init: joinWirePlan(plan.join), warnings: plan.warnings, rootless: plan.rootless }))
  })
}

function execPlanFor (c: ExecCase): ExecPlan {
  const text = fixtureText(c.fixture)
  const spec = parseConfig(c.edit !== undefined ? c.edit(text) : text)
  return buildExecPlan(spec, requireProcess(spec), {
    id: 'unit', initPid: NO_SUCH_PID, rootfs: join(bundle, 'rootfs'), preserveFds: 2, noNewKeyring: false, consoleSocket: undefined, hostFacts: c.facts, caller: c.caller,
  })
}

/** Wire fields only the container's init sets (it makes namespaces, id maps, a root, and waits for start), and the flags that say "exec". */
const INIT_ONLY_FIELDS = [
  'cloneFlags', 'unshareFlags', 'timeOffsets', 'uidMap', 'gidMap', 'uidMapHelper', 'gidMapHelper', 'dumpableUntil',
  'hostname', 'domainname', 'rootfs', 'rootPropagation', 'mountSteps', 'noPivot', 'inheritMountNamespace', 'noPivotDetach',
  'postPivotSteps', 'sysctls', 'stateDir', 'pauseBeforePivot', 'startContainerHooks', 'hookStateBeforePid', 'hookStateAfterPid',
]
const EXEC_ONLY_FIELDS = ['joinOnly', 'execImmediately', 'chrootTo']

t.test('an exec plan holds only what a joining process does; the wire boundary fills in the rest', async t => {
  for (const c of execCases) {
    const plan = execPlanFor(c)
    t.same(Object.keys(plan).sort(), ['join', 'rootless', 'warnings'], `${c.fixture} ${c.variant ?? ''}: no mount origins on an exec plan`)
    t.same(Object.keys(plan.join).filter(k => [...INIT_ONLY_FIELDS, 'joinOnly', 'execImmediately'].includes(k)), [], 'no field of the init on the join plan')
    const wire = joinWirePlan(plan.join)
    t.equal(wire.joinOnly, true)
    t.equal(wire.execImmediately, true)
    t.same(wire.mountSteps, [], 'a joining process mounts nothing')
    // The addon's unmarshalling refuses a missing or unknown key: the lowered plan is a whole wire plan.
    t.ok(loadNative().checkPlanWire(wire) > 0, 'the addon takes the lowered plan')
  }
  // @ts-expect-error a joining process mounts nothing: mountSteps is not a JoinPlan field
  const withMounts: JoinPlan = { ...execPlanFor(runcExecOnRoot).join, mountSteps: [] }
  t.ok(withMounts)
})

t.test('a container\'s init plan has none of exec\'s fields', async t => {
  for (const c of cases) {
    const plan = buildPlan(parseConfig(fixtureText(c.fixture)), optionsFor(c.facts, c.caller))
    t.same(Object.keys(plan.init).filter(k => EXEC_ONLY_FIELDS.includes(k)), [], `${c.fixture} on a ${c.host} host`)
  }
  // @ts-expect-error an init waits for start: execImmediately is not a ContainerInitPlan field
  const execAtOnce: ContainerInitPlan = { ...buildPlan(parseConfig(fixtureText('runc-1.1.5-spec.json')), optionsFor(ROOT_HOST, ROOT_CALLER)).init, execImmediately: true }
  t.ok(execAtOnce)
})

t.test('an exec\'s failure is described from its lowered wire plan, naming what it joined', async t => {
  const wire = joinWirePlan(execPlanFor(runcExecOnRoot).join)
  const describe = (phase: InitPhase, step: number): string => describeFailure({ init: wire }, { phase, step, errno: 1, message: '' }, () => 'Operation not permitted')
  t.equal(describe(InitPhase.Setns, 0), `config.json /linux/namespaces: joining ${wire.joinNamespaces[0]?.path ?? 'none'}: operation not permitted`)
  t.equal(describe(InitPhase.Setns, -1), `config.json /linux/namespaces: joining /proc/${NO_SUCH_PID}/ns/pid: operation not permitted`)
  t.equal(describe(InitPhase.Identity, 0), 'config.json /process/user/additionalGids: setgroups: operation not permitted')
})
