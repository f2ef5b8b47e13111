// print (src/output.ts) in the compiled executable writes with console.log
// (issue 11: no addon and no node:fs for --version and help), and printError,
// the error line of a command line refused in the entry chunk, with
// console.error. What a client reads must still be every byte, in order,
// before the process exits: here a 2 MB state JSON (and a 100 KB error line)
// goes into a non-blocking pipe that the reader drains slowly, and text with
// '%' comes out unformatted.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { ocirt, OCIRT } from './lib/ocirt.js'

/**
 * Runs argv with stdout (or, with STDERR=1 in the environment, stderr) a pipe
 * whose write end is O_NONBLOCK, read only after 1 s, in 4 KiB steps; returns
 * what came out and the exit code.
 */
const SLOW_NONBLOCKING_READER = `
import fcntl, json, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
env = dict(os.environ); env.pop('NODE_EXTRA_CA_CERTS', None)
which = {'stderr': w} if os.environ.get('STDERR') == '1' else {'stdout': w}
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, env=env, **which)
os.close(w)
time.sleep(1)
out = b''
while True:
    chunk = os.read(r, 4096)
    if not chunk: break
    out += chunk
    if len(out) % 65536 < 4096: time.sleep(0.01)
sys.stdout.write(json.dumps({'code': p.wait(), 'stdout': out.decode()}))
`

t.test('state of 2 MB into a slow non-blocking pipe: every byte, then exit 0', async t => {
  const big = `100% %s %d %% %o %j ${'ü'.repeat(1_000_000)}`
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sleep', '30']
    spec.annotations = { big }
  })
  t.equal((await rt.create(id, bundle.dir)).code, 0, 'created')
  const r = spawnSync('python3', ['-c', SLOW_NONBLOCKING_READER, process.env.RUNTIME ?? OCIRT, '--root', rt.root, 'state', id], { encoding: 'utf8', maxBuffer: 64 << 20 })
  t.equal(r.status, 0, `the reader ran: ${r.stderr}`)
  const { code, stdout } = JSON.parse(r.stdout) as { code: number, stdout: string }
  t.equal(code, 0, 'state exits 0')
  t.ok(stdout.endsWith('}\n'), 'the JSON ends with one newline')
  const state = JSON.parse(stdout) as { id: string, annotations?: Record<string, string> }
  t.equal(state.id, id)
  t.equal(state.annotations?.big, big, "the annotation, '%' included, as it was")
})

t.test("--version and help: '%' and newlines as they are", async t => {
  const version = spawnSync(process.env.RUNTIME ?? OCIRT, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } })
  t.match(version.stdout, /^ocirt version \S+\nspec: \S+\n$/, 'two lines, one newline each')
  const help = spawnSync(process.env.RUNTIME ?? OCIRT, ['kill', '--help'], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } })
  t.equal(help.status, 0)
  t.ok(help.stdout.endsWith('\n') && !help.stdout.endsWith('\n\n'), 'help ends with exactly one newline')
})

t.test('an error line of 100 KB into a slow non-blocking stderr pipe: every byte, then exit 1', async t => {
  // An unknown command is refused in the entry chunk, before any command's
  // module (and its logger) loads: printError writes it with console.error.
  // 100 KB, more than a pipe holds (Linux takes at most 128 KiB in one argument).
  const name = `100% %s %d %% %o %j ${'ü'.repeat(50_000)}`
  const r = spawnSync('python3', ['-c', SLOW_NONBLOCKING_READER, process.env.RUNTIME ?? OCIRT, '--root', '/nonexistent', name], {
    encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, STDERR: '1' },
  })
  t.equal(r.status, 0, `the reader ran: ${r.stderr}`)
  const { code, stdout: stderr } = JSON.parse(r.stdout) as { code: number, stdout: string }
  t.equal(code, 1, 'exit 1')
  t.match(stderr, /^ocirt: unknown command "/, 'the error line, unformatted')
  t.ok(stderr.startsWith(`ocirt: unknown command "${name}" (commands: create, start, `), "the command's name, '%' included, as it was")
  t.ok(stderr.endsWith(', completion)\n') && stderr.split('\n').length === 2, 'one line, with its newline')
})
