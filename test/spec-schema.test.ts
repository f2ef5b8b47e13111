/**
 * ocirt's schema (schema/, compiled into src/spec/generated/) against the
 * official runtime-spec v1.3.0 schema and its test vectors, a corpus of real
 * configs, and configs with one violation each.
 */
import t, { type Test } from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadOfficialSchemas } from './lib/official-schema.js'
import { SPEC_REFERENCE, SPEC_REFERENCE_MISSING, SPEC_SCHEMA_DIR } from '../conformance/lib/reference.js'
import { ConfigError } from '../src/errors.js'
import { validateConfig, validateProcess } from '../src/spec/generated/config-validator.js'
import { validateState } from '../src/spec/generated/state-validator.js'
import { validateFeatures } from '../src/spec/generated/features-validator.js'
import type { SchemaValidator } from '../src/spec/generated/validator.js'
import { JsonSyntaxError, lintConfig, parseConfig, parseFeatures, parseProcess, parseState } from '../src/spec/validate.js'
import type { Spec } from '../src/spec/types.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const reference = SPEC_REFERENCE
const officialSchemaDir = SPEC_SCHEMA_DIR
const vectorDir = join(officialSchemaDir, 'test')
const corpusDir = join(here, 'fixtures', 'configs')
const generatedDir = join(here, '..', 'src', 'spec', 'generated')

// --------------------------------------------------------- official schema

// Without the reference, the tests that read it skip with SPEC_REFERENCE_MISSING
// and the others leave out their official-schema assertions.
const official = SPEC_REFERENCE_MISSING === false ? loadOfficialSchemas(officialSchemaDir) : undefined
/** The official schema's verdict; undefined when the reference is missing. */
const officialAccepts = (schema: string, value: unknown): boolean | undefined => official?.(schema)(value)
const skipWithoutReference = { skip: SPEC_REFERENCE_MISSING }

function readJson (path: string): { ok: true, value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, 'utf8')) }
  } catch {
    return { ok: false }
  }
}

/** Asserts that `fn` throws a ConfigError at `pointer` whose message matches `message`. */
function throwsConfigError (t: Test, fn: () => unknown, pointer: string, message?: RegExp | string): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  if (!(error instanceof ConfigError)) {
    t.fail(`expected a ConfigError at ${pointer}`, { got: error })
    return
  }
  t.equal(error.pointer, pointer, `error at ${pointer}: ${error.message}`)
  if (typeof message === 'string') t.equal(error.message, message)
  else if (message !== undefined) t.match(error.message, message)
}

// ---------------------------------------------------- official test vectors

const vectorSets: Array<{ kind: string, officialSchema: string, ours: SchemaValidator<unknown> }> = [
  { kind: 'config', officialSchema: 'config-schema.json', ours: validateConfig },
  { kind: 'state', officialSchema: 'state-schema.json', ours: validateState },
  { kind: 'features', officialSchema: 'features-schema.json', ours: validateFeatures }
]

for (const { kind, officialSchema, ours } of vectorSets) {
  t.test(`official ${kind} test vectors: both schemas agree`, skipWithoutReference, async t => {
    for (const expectation of ['good', 'bad'] as const) {
      const dir = join(vectorDir, kind, expectation)
      const files = readdirSync(dir).filter(f => f.endsWith('.json'))
      t.ok(files.length > 0, `${kind}/${expectation} has vectors`)
      for (const file of files) {
        const parsed = readJson(join(dir, file))
        const officialVerdict = parsed.ok && officialAccepts(officialSchema, parsed.value) === true
        const ourVerdict = parsed.ok && ours(parsed.value)
        t.equal(officialVerdict, expectation === 'good', `official schema: ${kind}/${expectation}/${file}`)
        t.equal(ourVerdict, expectation === 'good', `our schema: ${kind}/${expectation}/${file}`,
          { errors: ours.errors })
      }
    }
  })
}

/** The ```json blocks of a Markdown document of the spec that follow `heading`. */
function specExamples (document: string, heading: string): unknown[] {
  const text = readFileSync(join(reference, document), 'utf8')
  const section = text.slice(text.indexOf(heading))
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].slice(0, 1).map(m => JSON.parse(m[1]!)) // the group is not optional
}

t.test('the full examples of the spec text are valid for both schemas', skipWithoutReference, async t => {
  const [config] = specExamples('config.md', '## Configuration Schema Example')
  t.equal(officialAccepts('config-schema.json', config), true, 'config.md example: official')
  t.ok(validateConfig(config), 'config.md example: ours')
  t.doesNotThrow(() => parseConfig(JSON.stringify(config)), 'config.md example passes the semantic checks')

  const [state] = specExamples('runtime.md', '### Example')
  t.equal(officialAccepts('state-schema.json', state), true, 'runtime.md state example: official')
  t.ok(validateState(state), 'runtime.md state example: ours')

  const [features] = specExamples('features.md', '# Example\n\nHere is a full example')
  t.equal(officialAccepts('features-schema.json', features), true, 'features.md example: official')
  t.ok(validateFeatures(features), 'features.md example: ours')
})

// ------------------------------------------------------------------ corpus

const corpus = readdirSync(corpusDir).filter(f => f.endsWith('.json')).sort()

t.test('real-world configs are valid for the official schema, ours and the semantic checks', async t => {
  t.ok(corpus.length >= 7, 'the corpus has runc, crun, podman and containerd configs')
  for (const file of corpus) {
    const text = readFileSync(join(corpusDir, file), 'utf8')
    const value = JSON.parse(text)
    if (official !== undefined) t.equal(officialAccepts('config-schema.json', value), true, `${file}: official schema`)
    t.ok(validateConfig(value), `${file}: our schema`, { errors: validateConfig.errors })
    let spec: Spec | undefined
    t.doesNotThrow(() => { spec = parseConfig(text, file) }, `${file}: parseConfig`)
    if (spec !== undefined) t.doesNotThrow(() => lintConfig(spec as Spec), `${file}: lintConfig`)
  }
})

t.test('the official good config vectors pass the semantic checks when they target Linux 1.x', skipWithoutReference, async t => {
  // spec-example.json still says 0.5.0-dev; the other vectors without Linux namespaces
  // are exercised by the schema test above.
  const spec = JSON.parse(readFileSync(join(vectorDir, 'config/good/spec-example.json'), 'utf8'))
  spec.ociVersion = '1.3.0'
  t.doesNotThrow(() => parseConfig(JSON.stringify(spec)))
  for (const file of ['minimal.json', 'minimal-for-start.json', 'linux-rdma.json', 'freebsd-minimal.json']) {
    t.doesNotThrow(() => parseConfig(readFileSync(join(vectorDir, 'config/good', file), 'utf8'), file), file)
  }
})

// ------------------------------------------------------------- bad configs

const runcSpec = (): Spec => JSON.parse(readFileSync(join(corpusDir, 'runc-1.1.5-spec.json'), 'utf8'))

/** A config with exactly one violation, what ocirt must say about it, and whether the official schema agrees. */
interface BadConfig {
  name: string
  mutate: (spec: any) => void
  pointer: string
  message: RegExp
  /** true if the official schema rejects it too; false if ours is stricter (the spec text is). */
  officialRejects: boolean
}

const badConfigs: BadConfig[] = [
  {
    name: 'missing ociVersion',
    mutate: s => { delete s.ociVersion },
    pointer: '',
    message: /^config\.json: \/: missing required property "ociVersion"$/,
    officialRejects: true
  },
  {
    name: 'ociVersion is not SemVer',
    mutate: s => { s.ociVersion = '1.0' },
    pointer: '/ociVersion',
    message: /must be a SemVer 2\.0\.0 version such as "1\.3\.0" .*\(got "1\.0"\)/,
    officialRejects: false
  },
  {
    name: 'unknown namespace type',
    mutate: s => { s.linux.namespaces[2].type = 'net' },
    pointer: '/linux/namespaces/2/type',
    message: /^config\.json: \/linux\/namespaces\/2\/type: must be one of "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" \(got "net"\)$/,
    officialRejects: true
  },
  {
    name: 'process without cwd',
    mutate: s => { delete s.process.cwd },
    pointer: '/process',
    message: /^config\.json: \/process: missing required property "cwd"$/,
    officialRejects: true
  },
  {
    name: 'terminal is a string',
    mutate: s => { s.process.terminal = 'yes' },
    pointer: '/process/terminal',
    message: /expected a boolean, got the string "yes"$/,
    officialRejects: true
  },
  {
    name: 'uid out of range',
    mutate: s => { s.process.user.uid = 4294967296 },
    pointer: '/process/user/uid',
    message: /must be a uint32 \(0 to 4294967295\) \(got 4294967296\)$/,
    officialRejects: true
  },
  {
    name: 'negative gid',
    mutate: s => { s.process.user.gid = -1 },
    pointer: '/process/user/gid',
    message: /: must not be negative \(got -1\)$/,
    officialRejects: true
  },
  {
    name: 'rlimit type of the wrong shape',
    mutate: s => { s.process.rlimits[0].type = 'nofile' },
    pointer: '/process/rlimits/0/type',
    message: /must be a resource name such as "RLIMIT_NOFILE" \(got "nofile"\)$/,
    officialRejects: true
  },
  {
    name: 'capability of the wrong shape',
    mutate: s => { s.process.capabilities.bounding[1] = 'kill' },
    pointer: '/process/capabilities/bounding/1',
    message: /must be a capability name such as "CAP_CHOWN"/,
    officialRejects: false
  },
  {
    name: 'hook path not absolute',
    mutate: s => { s.hooks = { poststart: [{ path: 'notify' }] } },
    pointer: '/hooks/poststart/0/path',
    message: /must be an absolute path \(starting with "\/"\) \(got "notify"\)$/,
    officialRejects: false
  },
  {
    name: 'hook timeout zero',
    mutate: s => { s.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] } },
    pointer: '/hooks/poststop/0/timeout',
    message: /must be >= 1 \(got 0\)$/,
    officialRejects: true
  },
  {
    name: 'mount without destination',
    mutate: s => { delete s.mounts[3].destination },
    pointer: '/mounts/3',
    message: /missing required property "destination"$/,
    officialRejects: true
  },
  {
    name: 'mount options not an array',
    mutate: s => { s.mounts[1].options = 'nosuid,strictatime' },
    pointer: '/mounts/1/options',
    message: /expected an array, got the string/,
    officialRejects: true
  },
  {
    name: 'idmapped mount with uidMappings only',
    mutate: s => { s.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }] },
    pointer: '/mounts/0',
    message: /"uidMappings" requires "gidMappings" to be set as well$/,
    officialRejects: false
  },
  {
    name: 'annotation with an empty key',
    mutate: s => { s.annotations = { '': 'x' } },
    pointer: '/annotations',
    message: /property name "" must not be empty$/,
    officialRejects: false
  },
  {
    name: 'annotation value not a string',
    mutate: s => { s.annotations = { 'com.example/key': 1 } },
    pointer: '/annotations/com.example~1key',
    message: /expected a string, got the integer 1$/,
    officialRejects: true
  },
  {
    name: 'masked path not absolute',
    mutate: s => { s.linux.maskedPaths[0] = 'proc/acpi' },
    pointer: '/linux/maskedPaths/0',
    message: /must be an absolute path/,
    officialRejects: false
  },
  {
    name: 'namespace path not absolute',
    mutate: s => { s.linux.namespaces[1].path = 'run/netns/x' },
    pointer: '/linux/namespaces/1/path',
    message: /must be an absolute path/,
    officialRejects: false
  },
  {
    name: 'device type not c/b/u/p',
    mutate: s => { s.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }] },
    pointer: '/linux/devices/0/type',
    message: /must be one of "c", "b", "u", "p" \(got "x"\)$/,
    officialRejects: true
  },
  {
    name: 'character device without major',
    mutate: s => { s.linux.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }] },
    pointer: '/linux/devices/0',
    message: /missing required property "major"$/,
    officialRejects: false
  },
  {
    name: 'device cgroup access with other letters',
    mutate: s => { s.linux.resources.devices[0].access = 'rwx' },
    pointer: '/linux/resources/devices/0/access',
    message: /must be a combination of "r" \(read\), "w" \(write\) and "m" \(mknod\) \(got "rwx"\)$/,
    officialRejects: false
  },
  {
    name: 'hugepage size in lower case',
    mutate: s => { s.linux.resources.hugepageLimits = [{ pageSize: '2mb', limit: 0 }] },
    pointer: '/linux/resources/hugepageLimits/0/pageSize',
    message: /must be a size with a unit such as "64KB"/,
    officialRejects: true
  },
  {
    name: 'unknown seccomp action',
    mutate: s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_DENY' } },
    pointer: '/linux/seccomp/defaultAction',
    message: /must be one of "SCMP_ACT_KILL", .*"SCMP_ACT_NOTIFY" \(got "SCMP_ACT_DENY"\)$/,
    officialRejects: true
  },
  {
    name: 'unknown seccomp architecture',
    mutate: s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AMD64'] } },
    pointer: '/linux/seccomp/architectures/0',
    message: /must be one of "SCMP_ARCH_X86"/,
    officialRejects: true
  },
  {
    name: 'unknown seccomp operator',
    mutate: s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_MATCH' }] }] } },
    pointer: '/linux/seccomp/syscalls/0/args/0/op',
    message: /must be one of "SCMP_CMP_NE"/,
    officialRejects: true
  },
  {
    name: 'seccomp rule without syscall names',
    mutate: s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] } },
    pointer: '/linux/seccomp/syscalls/0/names',
    message: /must not be empty$/,
    officialRejects: true
  },
  {
    name: 'seccomp listenerMetadata without listenerPath',
    mutate: s => { s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' } },
    pointer: '/linux/seccomp',
    message: /"listenerMetadata" requires "listenerPath" to be set as well$/,
    officialRejects: false
  },
  {
    name: 'unknown rootfsPropagation',
    mutate: s => { s.linux.rootfsPropagation = 'rmaster' },
    pointer: '/linux/rootfsPropagation',
    message: /must be one of "shared", "slave", "private", "unbindable"/,
    officialRejects: true
  },
  {
    name: 'unknown scheduler policy',
    mutate: s => { s.process.scheduler = { policy: 'SCHED_NORMAL' } },
    pointer: '/process/scheduler/policy',
    message: /must be one of "SCHED_OTHER", "SCHED_FIFO"/,
    officialRejects: true
  },
  {
    name: 'unknown ioPriority class',
    mutate: s => { s.process.ioPriority = { class: 'IOPRIO_CLASS_NONE', priority: 0 } },
    pointer: '/process/ioPriority/class',
    message: /must be one of "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"/,
    officialRejects: true
  },
  {
    name: 'unknown personality domain',
    mutate: s => { s.linux.personality = { domain: 'LINUX64' } },
    pointer: '/linux/personality/domain',
    message: /must be one of "LINUX", "LINUX32" \(got "LINUX64"\)$/,
    officialRejects: true
  },
  {
    name: 'memBwSchema without MB: prefix',
    mutate: s => { s.linux.intelRdt = { memBwSchema: 'L3:0=20' } },
    pointer: '/linux/intelRdt/memBwSchema',
    message: /must start with "MB:" and must not contain newlines/,
    officialRejects: true
  },
  {
    name: 'rdma limit not an integer',
    mutate: s => { s.linux.resources.rdma = { mlx5_1: { hcaHandles: 'many' } } },
    pointer: '/linux/resources/rdma/mlx5_1/hcaHandles',
    message: /expected an integer, got the string "many"$/,
    officialRejects: true
  },
  {
    name: 'linux is an array',
    mutate: s => { s.linux = [] },
    pointer: '/linux',
    message: /expected an object, got an array$/,
    officialRejects: true
  },
  {
    name: 'root without path',
    mutate: s => { s.root = { readonly: true } },
    pointer: '/root',
    message: /missing required property "path"$/,
    officialRejects: true
  }
]

t.test('configs with one violation are rejected with the pointer of the violation', async t => {
  for (const bad of badConfigs) {
    const spec = runcSpec()
    bad.mutate(spec)
    if (official !== undefined) t.equal(officialAccepts('config-schema.json', spec) === false, bad.officialRejects, `${bad.name}: official schema ${bad.officialRejects ? 'rejects' : 'accepts'} it`)
    let error: unknown
    try {
      parseConfig(JSON.stringify(spec, null, 2))
    } catch (e) {
      error = e
    }
    t.type(error, ConfigError, `${bad.name}: ConfigError`)
    if (!(error instanceof ConfigError)) continue
    t.equal(error.pointer, bad.pointer, `${bad.name}: pointer`)
    t.match(error.message, bad.message, `${bad.name}: message`)
  }
})

// ------------------------------------------------------------- JSON errors

t.test('invalid JSON is reported with line and column', async t => {
  const cases: Array<[string, RegExp]> = [
    ['{\n  "ociVersion": "1.0.0",\n  ]', /^config\.json: invalid JSON at line 3 column 3: /],
    ['{\n  "ociVersion": "1.0.0"', /^config\.json: invalid JSON at line 2 column 24: /],
    ['{"ociVersion": "1.0.0"} x', /^config\.json: invalid JSON at line 1 column 25: /],
    ['', /^config\.json: invalid JSON at line 1 column 1: Unexpected end of input$/]
  ]
  for (const [text, message] of cases) {
    throwsConfigError(t, () => parseConfig(text), '', message)
    t.throws(() => parseConfig(text), { name: 'ConfigError', line: Number(/line (\d+)/.exec(String(message))?.[1]) }, 'a JsonSyntaxError')
  }
  const error = (() => { try { parseConfig('{\n\n   "a": 1,, }', 'bundle/config.json') } catch (e) { return e } })()
  t.type(error, JsonSyntaxError)
  if (error instanceof JsonSyntaxError) {
    t.equal(error.line, 3)
    t.equal(error.column, 11)
    t.equal(error.file, 'bundle/config.json')
    t.notMatch(error.message, /position/)
  }
})

t.test('a top-level value that is not an object', async t => {
  throwsConfigError(t, () => parseConfig('[]'), '', 'config.json: /: expected an object, got an array')
  throwsConfigError(t, () => parseConfig('null'), '', 'config.json: /: expected an object, got null')
})

// ------------------------------------------------------ the other documents

t.test('parseProcess validates exec --process documents', async t => {
  const process = parseProcess(JSON.stringify(runcSpec().process), 'process.json')
  t.same(process.args, ['sh'])
  throwsConfigError(t, () => parseProcess('{"args": ["sh"]}', 'process.json'), '', 'process.json: /: missing required property "cwd"')
  throwsConfigError(t, () => parseProcess('{"cwd": "/", "args": ["sh"], "env": [1]}', 'p.json'), '/env/0', 'p.json: /env/0: expected a string, got the integer 1')
  throwsConfigError(t, () => parseProcess('{"cwd": "tmp", "args": ["sh"]}', 'p.json'), '/cwd')
  throwsConfigError(t, () => parseProcess('{"cwd": "/"}', 'p.json'), '', /missing required property "args"/)
  throwsConfigError(t, () => parseProcess('{"cwd": "/", "args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}]}', 'p.json'), '/rlimits/0/soft')
})

t.test('parseState validates runtime.md#state', async t => {
  const state = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 42, bundle: '/b' }
  t.same(parseState(JSON.stringify(state)), state)
  t.doesNotThrow(() => parseState(JSON.stringify({ ...state, status: 'paused' })), 'runtimes MAY define other statuses')
  t.doesNotThrow(() => parseState(JSON.stringify({ ...state, status: 'stopped', pid: undefined })), 'pid is optional when stopped')
  throwsConfigError(t, () => parseState(JSON.stringify({ ...state, pid: undefined })), '', 'state.json: /: missing required property "pid"')
  throwsConfigError(t, () => parseState(JSON.stringify({ ...state, bundle: 'b' })), '/bundle', /absolute path/)
  throwsConfigError(t, () => parseState(JSON.stringify({ ...state, id: '' })), '/id', /must not be empty/)
})

t.test('parseFeatures validates features.md', async t => {
  const features = { ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: { cgroup: { v2: true, rdma: null } } }
  t.same(parseFeatures(JSON.stringify(features)), features, 'optional properties MAY be null')
  throwsConfigError(t, () => parseFeatures('{"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0", "extra": 1}'),
    '/extra', /is not a property defined by the specification/)
  throwsConfigError(t, () => parseFeatures('{"ociVersionMin": "1.2.0", "ociVersionMax": "1.1.0"}'), '/ociVersionMax',
    'features.json: /ociVersionMax: "1.1.0" is less than ociVersionMin "1.2.0"')
  throwsConfigError(t, () => parseFeatures('{"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0", "linux": {"namespaces": ["net"]}}'),
    '/linux/namespaces/0', /must be one of "cgroup"/)
})

// ---------------------------------------------------------- generated code

t.test('the generated validators are self-contained and fast', async t => {
  for (const file of readdirSync(generatedDir).filter(f => f.endsWith('.js'))) {
    const code = readFileSync(join(generatedDir, file), 'utf8')
    t.notMatch(code, /\brequire\(/, `${file} does not require()`)
    t.notMatch(code, /^\s*import\s/m, `${file} imports nothing`)
  }
  const text = readFileSync(join(corpusDir, 'runc-1.1.5-spec.json'), 'utf8')
  for (let i = 0; i < 50; i++) parseConfig(text)
  const runs = 500
  const started = process.hrtime.bigint()
  for (let i = 0; i < runs; i++) parseConfig(text)
  const microseconds = Number(process.hrtime.bigint() - started) / 1e3 / runs
  t.ok(microseconds < 1000, `parseConfig of the runc spec config takes ${microseconds.toFixed(1)} µs (< 1 ms)`)
})

t.test('validateProcess is the Process definition of the config schema', async t => {
  t.ok(validateProcess({ cwd: '/' }))
  t.notOk(validateProcess({ cwd: 1 }))
  t.equal(validateProcess.errors?.[0]?.instancePath, '/cwd')
})

t.test('the config `ocirt spec` writes is valid and follows every SHOULD', async t => {
  const { defaultConfig } = await import('../src/spec/default-config.js')
  for (const rootless of [false, true]) {
    const text = JSON.stringify(defaultConfig(rootless))
    if (official !== undefined) t.equal(officialAccepts('config-schema.json', JSON.parse(text)), true, `rootless=${rootless}: official schema`)
    let spec: Spec | undefined
    t.doesNotThrow(() => { spec = parseConfig(text) }, `rootless=${rootless}: parseConfig`)
    if (spec !== undefined) t.same(lintConfig(spec), [], `rootless=${rootless}: no warnings`)
  }
})
