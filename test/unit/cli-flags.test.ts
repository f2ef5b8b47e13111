// Flags typed per command (issue 13 item 5): parseArgv fills every flag a
// command declares, with a value of its kind (a boolean false when absent,
// a repeatable flag [], a string its default or undefined), so commands read
// them without casts. The compile-time half of this test is checked by
// `npm run typecheck` (tsc): a `@ts-expect-error` below that stops being an
// error fails it. No root and no built binary needed.
import t from 'tap'
import { createFlags, runFlags } from '../../src/cli/flags-create.js'
import { execFlags } from '../../src/cli/flags-exec.js'
import { support } from '../../src/cli/support.js'
import { parseArgv, parseCommandFlags } from '../../src/cli/parse.js'
import { command, COMMANDS } from '../../src/cli/table.js'
import type { CommandContext, ContainerArgs } from '../../src/cli/types.js'

t.test('create: given values, defaults and absent flags', async t => {
  const parsed = await parseArgv(['--root', '/tmp/unit-root', 'create', '--bundle', '/b', '--no-pivot', 'c1'])
  t.equal(parsed.command?.name, 'create')
  t.same(parsed.args, ['c1'])
  t.same(parsed.flags, {
    bundle: '/b',
    'pid-file': undefined,
    'console-socket': undefined,
    'preserve-fds': '0',
    'no-pivot': true,
    'no-new-keyring': false,
    'dry-run': false,
    help: false,
  })
})

t.test('exec: repeatable flags collect in order, the command line stays arguments', async t => {
  const { values, rest } = parseCommandFlags(['-e', 'A=1', '--env=B=2', '--cap', 'CAP_KILL', '-t', 'c1', 'sh', '-c', 'true'], execFlags(), 'exec', true)
  t.same(values.env, ['A=1', 'B=2'])
  t.same(values.cap, ['CAP_KILL'])
  t.same(values['additional-gids'], [])
  t.equal(values.tty, true)
  t.equal(values.detach, false)
  t.equal(values.user, undefined)
  t.equal(values['preserve-fds'], '0')
  t.same(rest, ['c1', 'sh', '-c', 'true'])
})

t.test('list, events, checkpoint: string defaults from the table', async t => {
  t.equal((await parseArgv(['list'])).flags.format, 'table')
  t.equal((await parseArgv(['list', '-f', 'json'])).flags.format, 'json')
  t.equal((await parseArgv(['events', 'c1'])).flags.interval, '5s')
  const checkpoint = (await parseArgv(['checkpoint', '--empty-ns', 'network', 'c1'])).flags
  t.equal(checkpoint['image-path'], './checkpoint')
  t.equal(checkpoint['manage-cgroups-mode'], 'soft')
  t.same(checkpoint['empty-ns'], ['network'])
  t.equal(checkpoint['work-path'], undefined)
})

t.test('global flags keep no defaults: --root\'s depends on the caller', async t => {
  const parsed = await parseArgv(['--log-format=json', 'state', 'c1'])
  t.equal(parsed.globalFlags.root, undefined)
  t.equal(parsed.globalFlags['log-format'], 'json')
  t.equal(parsed.globals.logFormat, 'json')
  t.same(parsed.flags, { help: false })
})

t.test('every command fills every flag it declares, with a value of its kind', async t => {
  for (const c of COMMANDS) {
    const args = Array.from({ length: c.minArgs }, () => 'c1')
    const flags = (await parseArgv([c.name, ...args])).flags
    const declared = (await c.load()).flags()
    t.same(Object.keys(flags), declared.map(f => f.name), c.name)
    for (const f of declared) {
      const value = flags[f.name]
      const expected = f.type === 'boolean' ? false : f.multiple === true ? [] : f.default
      t.same(value, expected, `${c.name} --${f.name}`)
    }
  }
})

t.test('the words of refused flags are unchanged', async t => {
  await t.rejects(parseArgv(['create', '--bundel', 'b', 'c1']), { message: /^unknown flag --bundel for "create" \(known: --bundle, --pid-file, / })
  await t.rejects(parseArgv(['create', 'c1', '--bundle']), { message: 'flag --bundle needs a value (DIR)' })
  await t.rejects(parseArgv(['kill', '--all=yes', 'c1']), { message: 'flag --all takes true or false, not "yes"' })
  await t.rejects(parseArgv(['--nope', 'state', 'c1']), { message: /^unknown flag --nope for ocirt / })
})

// Compile-time checks: never called, only typechecked.
export function typedFlags (ctx: CommandContext<typeof createFlags, ContainerArgs>): Array<string | boolean | undefined> {
  const id: string = ctx.args[0]
  const bundle: string | undefined = ctx.flags.bundle
  const preserveFds: string = ctx.flags['preserve-fds']
  const noPivot: boolean = ctx.flags['no-pivot']
  // @ts-expect-error create declares no --detach (run does).
  const detach: unknown = ctx.flags.detach
  // @ts-expect-error a misspelt flag is a compile error.
  const misspelt: unknown = ctx.flags.bundel
  return [id, bundle, preserveFds, noPivot, String(detach), String(misspelt)]
}

export function typedTable (): unknown[] {
  return [
    command({ name: 'state', usage: '<container-id>', minArgs: 1, maxArgs: 1, load: async () => await import('../../src/commands/state.js') }),
    command({ name: 'run', usage: '<container-id>', minArgs: 1, maxArgs: 1, load: async () => await import('../../src/commands/run.js') }),
    // @ts-expect-error a module whose run reads --detach and --keep (run's flags) but declares create's flags.
    command({ name: 'run', usage: '<container-id>', minArgs: 1, maxArgs: 1, load: async () => ({ flags: createFlags, support, run: (ctx: CommandContext<typeof runFlags, ContainerArgs>) => ctx.flags.keep ? 0 : 1 }) }),
  ]
}
