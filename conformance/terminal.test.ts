/**
 * config.md "process.terminal" / "consoleSize" and config-linux.md "Default
 * Devices" (/dev/console), through runc's --console-socket protocol: the
 * runtime sends the pty master over a unix socket (SCM_RIGHTS), as
 * containerd's shim and conmon receive it. The receiver is a small C program
 * (lib/console-receiver.c) that copies the terminal's output to a file.
 */
import t from 'tap'
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setup, shell, waitFor, type TapLike } from './lib/harness.js'
import { spawnTracked } from './lib/reaper.js'
import { compileHelper } from './lib/cc.js'

/** A console socket whose received terminal output collects in a file. */
async function consoleReceiver (t: TapLike): Promise<{ socket: string, output: () => string, done: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'console-socket-'))
  const socket = join(dir, 'console.sock')
  const outPath = join(dir, 'out')
  const out = openSync(outPath, 'w')
  const child = spawnTracked(compileHelper('console-receiver'), [socket], { stdio: ['ignore', out, 'inherit'] })
  closeSync(out)
  const done = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  t.teardown(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) })
  const output = (): string => readFileSync(outPath, 'utf8').replace(/\r\n/g, '\n')
  if (await waitFor(() => output().startsWith('listening\n')) === undefined) throw new Error('the console receiver did not start')
  return { socket, output, done }
}

const SCRIPT = [
  'tty',
  '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty',
  'stty size',
  // config-linux.md: /dev/console is the pty, bind-mounted.
  'echo "console $(stat -c %t:%T /dev/console) pty $(stat -L -c %t:%T /proc/self/fd/0)"',
].join('; ')

t.test('config.md#configProcess terminal: a pty is allocated and duplicated on the standard streams; consoleSize sets its size; config-linux.md /dev/console is the pty', async t => {
  const receiver = await consoleReceiver(t)
  const { rt, bundle, id } = await setup(t, spec => {
    shell(SCRIPT)(spec)
    spec.process!.terminal = true
    spec.process!.consoleSize = { height: 31, width: 97 }
  }, {})
  const c = await rt.run(['create', '--console-socket', receiver.socket, '--bundle', bundle.dir, id])
  t.equal(c.code, 0, `create with --console-socket: ${c.stderr}`)
  t.match(receiver.output(), /received /, 'the pty master arrived over the socket')
  t.equal((await rt.start(id)).code, 0, 'start')
  await Promise.race([receiver.done, new Promise(resolve => setTimeout(resolve, 10_000))])
  const out = receiver.output()
  t.match(out, /^\/dev\/pts\/\d+$/m, 'tty names a pts device')
  t.match(out, /^stdio-is-tty$/m, 'stdin, stdout and stderr are the terminal')
  t.match(out, /^31 97$/m, 'consoleSize: 31 rows, 97 columns')
  const m = /^console (\S+) pty (\S+)$/m.exec(out)
  t.ok(m !== null && m[1] === m[2], '/dev/console is the same device as the pty on stdin', { out })
})

t.test('config.md#configProcess: "Runtimes MUST ignore consoleSize if terminal is false or unset"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    shell('[ -t 1 ] && echo tty || echo not-a-tty')(spec)
    spec.process!.terminal = false
    spec.process!.consoleSize = { height: 10, width: 20 }
  }, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, `run succeeds: ${r.stderr}`)
  t.equal(r.stdout, 'not-a-tty\n', 'no terminal is made')
})

t.test('a terminal without --console-socket is an error for create (there is nowhere to send the pty)', async t => {
  const { rt, bundle, id } = await setup(t, spec => { shell('true')(spec); spec.process!.terminal = true }, {})
  const r = await rt.create(id, bundle.dir)
  t.not(r.code, 0, 'create fails')
  t.not((await rt.stateResult(id)).code, 0, 'and leaves no container')
})
