// The command line as runc's users call it: version, help, flags defined once,
// and clear errors that name the flag or argument that is wrong.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Runtime } from '../conformance/lib/runtime.js'
import { OCIRT, ocirt } from './lib/ocirt.js'
import { loadOfficialSchemas } from './lib/official-schema.js'
import { SPEC_REFERENCE_MISSING, SPEC_SCHEMA_DIR } from '../conformance/lib/reference.js'

t.test('--version prints runc\'s layout with the spec version', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const r = await rt.run(['--version'], { noRoot: true })
  t.equal(r.code, 0)
  t.match(r.stdout, /^ocirt version \d+\.\d+\.\d+\nspec: 1\.3\.0\n$/)
})

t.test('bunfig.toml and .env in the working directory do not reach ocirt', async t => {
  // A compiled bun autoloads both from its cwd unless built with --no-compile-autoload-bunfig
  // and --no-compile-autoload-dotenv (scripts/build-js.mjs). containerd runs the runtime in the
  // bundle directory: a bunfig.toml preload there would run its JS as root, and a .env would
  // set the runtime's environment.
  const rt = await Runtime.open(OCIRT)
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-cwd-'))
  t.teardown(async () => { await rt.cleanup(); rmSync(dir, { recursive: true, force: true }) })
  const marker = join(dir, 'preload-ran')
  writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./preload.js"]\n')
  writeFileSync(join(dir, 'preload.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')\n`)
  writeFileSync(join(dir, '.env'), 'OCIRT_TRACE_TIMING=1\n')
  const r = await rt.run(['--version'], { noRoot: true, cwd: dir })
  t.equal(r.code, 0)
  t.notOk(existsSync(marker), 'the preload of bunfig.toml did not run')
  t.notMatch(r.stderr, /ocirt-timing/, 'the .env did not set OCIRT_TRACE_TIMING')
})

t.test('help lists every command and a command\'s flags', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const main = await rt.run(['--help'], { noRoot: true })
  t.equal(main.code, 0)
  for (const c of ['create', 'start', 'state', 'kill', 'delete', 'run', 'list', 'spec']) t.match(main.stdout, new RegExp(`\\n  ${c} `), `lists ${c}`)
  const create = await rt.run(['create', '--help'], { noRoot: true })
  t.equal(create.code, 0)
  for (const f of ['--bundle', '--pid-file', '--console-socket', '--preserve-fds']) t.match(create.stdout, f)
})

t.test('unknown flags, commands and missing arguments are named', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const flag = await rt.run(['create', '--bundel', '/x', 'id1'])
  t.equal(flag.code, 1)
  t.match(flag.stderr, /unknown flag --bundel for "create"/)
  const global = await rt.run(['--rooot', '/x', 'list'], { noRoot: true })
  t.equal(global.code, 1)
  t.match(global.stderr, /unknown flag --rooot/)
  const command = await rt.run(['crate', 'x'])
  t.equal(command.code, 1)
  t.match(command.stderr, /unknown command "crate"/)
  const missing = await rt.run(['start'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /"start" needs <container-id>/)
  const value = await rt.run(['create', 'id1', '--bundle'])
  t.equal(value.code, 1)
  t.match(value.stderr, /flag --bundle needs a value/)
  const badId = await rt.run(['state', '../etc'])
  t.equal(badId.code, 1)
  t.match(badId.stderr, /invalid container id/)
})

t.test('--log with --log-format json gets the error as containerd reads it', async t => {
  const rt = await Runtime.open(OCIRT)
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-log-'))
  t.teardown(async () => { await rt.cleanup(); rmSync(dir, { recursive: true, force: true }) })
  const log = join(dir, 'log.json')
  const r = await rt.run(['--log', log, '--log-format', 'json', 'state', 'no-such-container'])
  t.equal(r.code, 1)
  const lines = readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l) as { level: string, msg: string, time: string })
  t.equal(lines.length, 1)
  t.equal(lines[0]?.level, 'error')
  t.match(lines[0]?.msg, /container does not exist: "no-such-container"/)
  t.ok(!Number.isNaN(Date.parse(lines[0]?.time ?? '')), 'time is a timestamp')
  t.match(r.stderr, /does not exist/, 'and on stderr too')
})

t.test('the error comes first, warnings after: on stderr and in the --log JSON (engines show the first line)', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['/no/such/program']
    // A warning found before the error: config.md says execCPUAffinity is not for the init.
    spec.process!.execCPUAffinity = { initial: '0' }
  })
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-log-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const plain = await rt.run(['create', '--bundle', bundle.dir, id])
  t.equal(plain.code, 1)
  const lines = plain.stderr.trim().split('\n')
  t.match(lines[0], /^ocirt: exec: "\/no\/such\/program"/, 'stderr: the error is the first line', { stderr: plain.stderr })
  t.match(plain.stderr, /level=warning msg=".*execCPUAffinity/, 'and the warning follows')
  const log = join(dir, 'log.json')
  const logged = await rt.run(['--log', log, '--log-format', 'json', 'create', '--bundle', bundle.dir, id])
  t.equal(logged.code, 1)
  const entries = readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l) as { level: string, msg: string })
  t.same(entries.map(e => e.level), ['error', 'warning'], 'the log: the error, then the warning')
})

t.test('spec writes a config that ocirt itself accepts and refuses to overwrite', async t => {
  const rt = await Runtime.open(OCIRT)
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-spec-'))
  t.teardown(async () => { await rt.cleanup(); rmSync(dir, { recursive: true, force: true }) })
  t.equal((await rt.run(['spec', '--bundle', dir])).code, 0)
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  t.equal(spec.ociVersion, '1.3.0')
  t.same(spec.process.args, ['sh'])
  t.equal(spec.root.path, 'rootfs')
  const again = await rt.run(['spec', '--bundle', dir])
  t.equal(again.code, 1)
  t.match(again.stderr, /already exists/)
  const rootless = mkdtempSync(join(tmpdir(), 'ocirt-spec-'))
  t.teardown(() => rmSync(rootless, { recursive: true, force: true }))
  t.equal((await rt.run(['spec', '--rootless', '--bundle', rootless])).code, 0)
  const r = JSON.parse(readFileSync(join(rootless, 'config.json'), 'utf8'))
  t.ok(r.linux.namespaces.some((n: { type: string }) => n.type === 'user'), 'rootless spec has a user namespace')
  t.equal(r.linux.uidMappings.length, 1)
})

t.test('list shows nothing for an empty root, in both formats', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const table = await rt.run(['list'])
  t.equal(table.code, 0)
  t.match(table.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n$/)
  const json = await rt.run(['list', '--format', 'json'])
  t.same(JSON.parse(json.stdout), [])
  const bad = await rt.run(['list', '--format', 'yaml'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /--format must be table or json/)
})

t.test('completion is generated from the same command table', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const r = await rt.run(['completion', 'bash'], { noRoot: true })
  t.equal(r.code, 0)
  t.match(r.stdout, /complete -F _ocirt ocirt/)
  t.match(r.stdout, /create\) words="--bundle --pid-file --console-socket --preserve-fds/)
})

t.test('features prints JSON valid against our features schema and the official one', async t => {
  const rt = await Runtime.open(OCIRT)
  t.teardown(() => rt.cleanup())
  const r = await rt.run(['features'], { noRoot: true })
  t.equal(r.code, 0, r.stderr)
  const { parseFeatures } = await import('../src/spec/validate.js')
  const features = parseFeatures(r.stdout, 'features')
  t.equal(features.ociVersionMax, '1.3.0')
  t.same(features.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'])
  t.ok(features.mountOptions?.includes('rro'), 'recursive mount options are listed')
  t.equal(features.linux?.seccomp?.enabled, true)
  t.ok(features.linux?.seccomp?.actions?.includes('SCMP_ACT_NOTIFY'), 'SCMP_ACT_NOTIFY works, with an agent on listenerPath')
  if (SPEC_REFERENCE_MISSING !== false) {
    t.skip(`valid against the official features schema: ${SPEC_REFERENCE_MISSING}`, () => {})
  } else {
    const official = loadOfficialSchemas(SPEC_SCHEMA_DIR)
    t.ok(official('features-schema.json')(JSON.parse(r.stdout)), 'valid against the official features schema')
  }
})
