// process.terminal with --console-socket (runc's protocol, as containerd and
// conmon use it): the pty master arrives over the socket, and the program
// has the pty as its stdio and controlling terminal.
import t from 'tap'
import { closeSync, existsSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { sleep } from '../conformance/lib/harness.js'
import { loadNative } from '../src/native.js'
import { ocirt } from './lib/ocirt.js'

type TapTest = Parameters<typeof ocirt>[0]

/** Reads a pty master until the other side is closed (EIO) or the deadline. */
function readAll (fd: number, timeoutMs = 5000): string {
  const deadline = Date.now() + timeoutMs
  const buf = Buffer.alloc(4096)
  let out = ''
  while (Date.now() < deadline) {
    let n: number
    try {
      n = readSync(fd, buf)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EIO') break
      throw e
    }
    if (n === 0) break
    out += buf.subarray(0, n).toString()
  }
  return out.replace(/\r\n/g, '\n')
}

/** A console socket like containerd's shim makes: it receives one pty master. */
function consoleSocket (t: TapTest, dir: string): { path: string, receive: () => Promise<number> } {
  const native = loadNative()
  const path = join(dir, 'console.sock')
  const listenFd = native.listenUnix(path)
  t.teardown(() => { closeSync(listenFd); rmSync(path, { force: true }) })
  return {
    path,
    // Polls without blocking the event loop, which is running the runtime meanwhile.
    receive: async () => {
      for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(10)) {
        const got = native.receiveFd(listenFd, 0)
        if (got !== null) {
          t.teardown(() => { try { closeSync(got.fd) } catch {} })
          return got.fd
        }
      }
      throw new Error('no pty master arrived on the console socket')
    },
  }
}

t.test('create sends the pty master; the program\'s stdio is the pty, sized as consoleSize', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.terminal = true
    spec.process!.consoleSize = { height: 33, width: 120 }
    spec.process!.args = ['sh', '-c', 'tty; stty size; ls -l /dev/console | cut -c1; read line; echo "got $line"']
  })
  const sock = consoleSocket(t, bundle.dir)
  const created = rt.run(['create', '--console-socket', sock.path, '--bundle', bundle.dir, id])
  const master = await sock.receive()
  t.equal((await created).code, 0, 'create succeeds')
  t.equal((await rt.start(id)).code, 0, 'start succeeds')
  writeSync(master, 'typed\n')
  const out = readAll(master)
  // The pty echoes what is typed, wherever it lands in the output.
  const lines = out.split('\n').filter(l => l !== 'typed')
  t.match(lines[0], /^\/dev\/pts\/\d+$/, 'stdin is a pty of the container\'s devpts')
  t.equal(lines[1], '33 120', 'sized as consoleSize')
  t.equal(lines[2], 'c', '/dev/console is a character device (the pty)')
  t.match(out, /got typed\n/, 'input typed on the master reaches the program')
})

t.test('exec --tty --console-socket gives the new process a pty of the container', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '60'] })
  t.equal((await rt.run(['run', '--detach', '--bundle', bundle.dir, id])).code, 0)
  const sock = consoleSocket(t, bundle.dir)
  const exec = rt.run(['exec', '--tty', '--console-socket', sock.path, id, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty'])
  const master = await sock.receive()
  const out = readAll(master)
  t.equal((await exec).code, 0)
  t.match(out, /^\/dev\/pts\/\d+\nstdin-is-a-tty\n/)
})

t.test('a terminal without a console socket, and a console socket without a terminal, are refused', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.terminal = true })
  const r = await rt.create(id, bundle.dir)
  t.equal(r.code, 1)
  t.match(r.stderr, /config\.json: \/process\/terminal: a terminal needs --console-socket/)
  const plain = await ocirt(t)
  const s = await plain.rt.run(['create', '--console-socket', join(plain.bundle.dir, 'x.sock'), '--bundle', plain.bundle.dir, plain.id])
  t.equal(s.code, 1)
  t.match(s.stderr, /--console-socket is only for a process with a terminal/)
})

t.test('run in the foreground proxies a terminal itself when no --console-socket is given (as runc)', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.terminal = true
    spec.process!.args = ['sh']
  })
  const r = await rt.run(['run', '--bundle', bundle.dir, id], { input: 'tty; echo "hi from $(tty)"; exit 3\n' })
  t.equal(r.code, 3, r.stderr)
  t.match(r.stdout.replace(/\r/g, ''), /\nhi from \/dev\/pts\/\d+\n/, 'the shell read our stdin and wrote to our stdout through its pty')
  t.same(await rt.list(), [], 'the container is deleted')
  t.notOk(existsSync(join(bundle.dir, 'console.sock')))
})
