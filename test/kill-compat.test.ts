// `kill` of a stopped or missing container, as containerd's runc shim sees
// it: the shim runs `RUNTIME --log FILE --log-format json kill [--all] ID
// SIG`, and decides whether the process was "already gone" by the words of
// the runtime's output (containerd pkg/process checkKillError: "container not
// running", "no such process", "process already finished" → already exited;
// "does not exist" → no such container; anything else → "unknown error after
// kill", and the CRI plugin then never reaps the task). Each case runs ocirt
// and runc 1.1.5 side by side and expects ocirt to match runc's exit code and
// to say the words the shim matches, on stderr and in the JSON log.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleFor, openRuntime, shell, type TapLike } from '../conformance/lib/harness.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { OCIRT } from './lib/ocirt.js'

const RUNC = '/usr/sbin/runc'
const OCIRT_UNDER_TEST = process.env.RUNTIME ?? OCIRT

interface Outcome { code: number | null, output: string, logged: string }

/** A runtime with its own --root, cleaned up after the test. */
async function runtimeFor (t: TapLike, binary: string): Promise<Runtime> {
  const rt = await Runtime.open(binary)
  t.teardown(async () => { await rt.cleanup() })
  return rt
}

/** `kill` with the shim's global flags; its exit code, its output and the last error of its JSON log. */
async function shimKill (rt: Runtime, args: string[]): Promise<Outcome> {
  const log = join(rt.base, `kill-${rt.newId('log')}.json`)
  const r = await rt.run(['--log', log, '--log-format', 'json', 'kill', ...args])
  const errors = existsSync(log)
    ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as { level?: string, msg?: string }).filter(e => e.level === 'error')
    : []
  return { code: r.code, output: r.stdout + r.stderr, logged: errors.at(-1)?.msg ?? '' }
}

/** A container whose program has exited: status stopped, not deleted. */
async function stoppedContainer (t: TapLike, rt: Runtime): Promise<string> {
  const bundle = bundleFor(t, shell('exit 0'))
  const id = rt.newId('killcompat')
  t.equal((await rt.create(id, bundle.dir)).code, 0, `${rt.binary}: create`)
  t.equal((await rt.start(id)).code, 0, `${rt.binary}: start`)
  await rt.waitStatus(id, 'stopped')
  return id
}

/** Runs `act` against runc and against ocirt; checks ocirt's outcome against runc's. */
async function compare (t: TapLike, what: string, words: string | undefined, act: (rt: Runtime) => Promise<Outcome>): Promise<void> {
  const runc = await act(await runtimeFor(t, RUNC))
  const ours = await act(await runtimeFor(t, OCIRT_UNDER_TEST))
  t.equal(ours.code, runc.code, `${what}: exits ${runc.code ?? 'null'} as runc does`, { ocirt: ours, runc })
  if (words === undefined) return
  t.match(runc.output, words, `${what}: runc says "${words}" (the reference)`)
  t.match(ours.output, words, `${what}: ocirt says "${words}" on stderr`, { output: ours.output })
  t.match(ours.logged, words, `${what}: and in the --log JSON error the shim reads`, { logged: ours.logged })
}

t.test('kill --all of a stopped container exits 0 (the shim\'s delete of every exited task)', async t => {
  await compare(t, 'kill --all ID 9', undefined, async rt => await shimKill(rt, ['--all', await stoppedContainer(t, rt), '9']))
  await compare(t, 'kill --all ID 15', undefined, async rt => await shimKill(rt, ['--all', await stoppedContainer(t, rt), '15']))
})

t.test('kill of a stopped container fails with "container not running"', async t => {
  await compare(t, 'kill ID 9', 'container not running', async rt => await shimKill(rt, [await stoppedContainer(t, rt), '9']))
  await compare(t, 'kill ID (TERM)', 'container not running', async rt => await shimKill(rt, [await stoppedContainer(t, rt)]))
})

t.test('kill of a container that does not exist fails with "does not exist"', async t => {
  await compare(t, 'kill MISSING 9', 'does not exist', async rt => await shimKill(rt, [rt.newId('missing'), '9']))
  await compare(t, 'kill --all MISSING 9', 'does not exist', async rt => await shimKill(rt, ['--all', rt.newId('missing'), '9']))
})

t.test('after kill --all, a stopped container is unchanged and deletes', async t => {
  const rt = await openRuntime(t)
  const id = await stoppedContainer(t, rt)
  const before = await rt.state(id)
  t.equal((await shimKill(rt, ['--all', id, '9'])).code, 0)
  t.same(await rt.state(id), before, 'state unchanged')
  t.equal((await rt.delete(id)).code, 0, 'delete succeeds')
  t.same(await rt.list(), [], 'nothing left')
})
