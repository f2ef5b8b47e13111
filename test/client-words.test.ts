// The runtime's error words that clients match by text (docs/clients.md,
// "Errors the clients match by their words"), run on ocirt and on runc 1.1.5
// side by side: each must appear in both runtimes' output. kill's words are in
// kill-compat.test.ts; a missing or non-executable program in
// create-errors.test.ts and the podman client tests.
import t from 'tap'
import { bundleFor, shell, type TapLike } from '../conformance/lib/harness.js'
import { Runtime } from '../conformance/lib/runtime.js'
import { OCIRT } from './lib/ocirt.js'

const RUNC = '/usr/sbin/runc'
const OCIRT_UNDER_TEST = process.env.RUNTIME ?? OCIRT

async function runtimeFor (t: TapLike, binary: string): Promise<Runtime> {
  const rt = await Runtime.open(binary)
  t.teardown(async () => { await rt.cleanup() })
  return rt
}

t.test('every command on a missing container says runc\'s "container does not exist" (moby libcontainerd: NotFound; containerd\'s shim: "does not exist")', async t => {
  const commands: Array<(id: string) => string[]> = [
    id => ['state', id],
    id => ['delete', id],
    id => ['start', id],
    id => ['kill', id, '9'],
    id => ['pause', id],
    id => ['resume', id],
    id => ['ps', id],
    id => ['update', '--memory', '64m', id],
    id => ['exec', id, 'true'],
    id => ['events', '--stats', id],
  ]
  const runc = await runtimeFor(t, RUNC)
  const ours = await runtimeFor(t, OCIRT_UNDER_TEST)
  for (const command of commands) {
    const args = command(ours.newId('missing'))
    const reference = await runc.run(command(runc.newId('missing')))
    const r = await ours.run(args)
    t.not(reference.code, 0, `runc ${args[0]}: fails`)
    t.match(reference.stderr, 'container does not exist', `runc ${args[0]}: says "container does not exist" (the reference)`)
    t.not(r.code, 0, `${args[0]}: fails`)
    t.match(r.stderr, 'container does not exist', `${args[0]}: says "container does not exist"`, { stderr: r.stderr })
    t.match(r.stderr, args.find(a => a.startsWith('missing-')) ?? '', `${args[0]}: and names the id`)
  }
})

t.test('a bind mount of a file onto a directory says "not a directory" (moby: exit 127 and its hint)', async t => {
  for (const binary of [RUNC, OCIRT_UNDER_TEST]) {
    const rt = await runtimeFor(t, binary)
    const bundle = bundleFor(t, s => {
      shell('true')(s)
      s.mounts!.push({ destination: '/bin', type: 'bind', source: '/etc/hostname', options: ['rbind'] })
    })
    const r = await rt.run(['run', '--bundle', bundle.dir, rt.newId('notdir')])
    t.not(r.code, 0, `${binary}: run fails`)
    t.match(r.stderr, 'not a directory', `${binary}: says "not a directory"`, { stderr: r.stderr })
    t.same(await rt.list(), [], `${binary}: nothing is left`)
  }
})
