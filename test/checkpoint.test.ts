// checkpoint and restore through CRIU. Where this kernel lets CRIU work
// (`criu check` passes), a counting container is dumped and restored for
// real; where it does not (CRIU 3.17 on Linux >= 6.13: the [vvar_vclock]
// mapping), every such test checks instead that ocirt fails with the reason
// and leaves the container and the host as they were. ocirt's own part
// (criu's command line, the state dir, the rootfs mount, the cleanup) is
// also driven through --criu with a stand-in that records its arguments.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TapLike } from '../conformance/lib/harness.js'
import { assertNothingLeft, snapshotHost, waitFor } from '../conformance/lib/harness.js'
import type { Bundle } from '../conformance/lib/bundle.js'
import type { Runtime } from '../conformance/lib/runtime.js'
import { isAlive, reapOrphans, spawnTracked } from '../conformance/lib/reaper.js'
import { hostMounts, ocirt } from './lib/ocirt.js'

const CRIU = '/usr/sbin/criu'
const criuCheck = spawnSync(CRIU, ['check'], { encoding: 'utf8' })
/** CRIU can checkpoint on this kernel: the real tests run; otherwise the clear-error tests do. */
const criuWorks = criuCheck.status === 0
t.comment(criuWorks ? 'criu check passed: real checkpoint/restore' : `criu check failed, checking ocirt's error instead: ${criuCheck.stderr.trim().split('\n').slice(-2).join(' | ')}`)

/** What ocirt must say when CRIU cannot run here: the reason, not just "criu failed". */
const KERNEL_REFUSES = /checkpoint\/restore is not possible: .*(vvar_vclock|criu check)/

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /shared/count.tmp; mv /shared/count.tmp /shared/count; sleep 0.05; done'

function tempDir (t: TapLike, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

function count (bundle: Bundle): number {
  try { return Number(readFileSync(join(bundle.shared, 'count'), 'utf8').trim()) } catch { return 0 }
}

async function counterRunning (t: TapLike): Promise<{ rt: Runtime, bundle: Bundle, id: string, pid: number }> {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', COUNTER] })
  const r = await rt.run(['run', '--detach', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, `run --detach: ${r.stderr}`)
  t.ok(await waitFor(() => count(bundle) >= 3, 5000), 'the counter counts')
  return { rt, bundle, id, pid: (await rt.state(id)).pid! }
}

/** The counter goes on growing (the container really runs). */
async function stillCounting (t: TapLike, bundle: Bundle, what: string): Promise<void> {
  const before = count(bundle)
  t.ok(await waitFor(() => count(bundle) > before + 2, 5000), what)
}

t.test('help, completion and features show checkpoint and restore with runc\'s flags', async t => {
  const { rt } = await ocirt(t)
  const help = await rt.run(['--help'])
  t.match(help.stdout, /\n {2}checkpoint +checkpoint a running container/)
  t.match(help.stdout, /\n {2}restore +restore a container from a checkpoint/)
  const cp = await rt.run(['checkpoint', '--help'])
  for (const flag of ['image-path', 'work-path', 'parent-path', 'leave-running', 'tcp-established', 'ext-unix-sk', 'shell-job', 'file-locks', 'pre-dump', 'manage-cgroups-mode', 'empty-ns', 'auto-dedup', 'page-server']) {
    t.match(cp.stdout, `--${flag}`, `checkpoint --${flag}`)
  }
  const rs = await rt.run(['restore', '--help'])
  for (const flag of ['image-path', 'work-path', 'bundle', 'detach', 'pid-file', 'console-socket', 'tcp-established', 'ext-unix-sk', 'shell-job', 'file-locks', 'manage-cgroups-mode', 'empty-ns']) {
    t.match(rs.stdout, `--${flag}`, `restore --${flag}`)
  }
  t.match((await rt.run(['completion'])).stdout, /checkpoint\) words="--image-path/)
  const features = JSON.parse((await rt.run(['features'])).stdout) as { annotations: Record<string, string> }
  t.equal(features.annotations['org.ocirt.checkpoint.enabled'], 'true')
  // runc flags that make no sense without criu's RPC or a lazy-pages daemon stay errors naming the flag.
  for (const [cmd, flag] of [['checkpoint', '--lazy-pages'], ['checkpoint', '--status-fd=3'], ['restore', '--lsm-profile=x'], ['restore', '--no-subreaper']] as const) {
    const r = await rt.run([cmd, flag, 'some-id'])
    t.equal(r.code, 1, `${cmd} ${flag} fails`)
    t.match(r.stderr, `unknown flag ${flag.split('=')[0]} for "${cmd}"`)
  }
})

t.test('checkpoint stops the container, restore makes it count on from where it was', async t => {
  const { rt, bundle, id, pid } = await counterRunning(t)
  const images = tempDir(t, 'ocirt-criu-images-')
  const mountsBefore = hostMounts()
  const cp = await rt.run(['checkpoint', '--image-path', images, id], { timeoutMs: 60_000 })
  if (!criuWorks) {
    t.equal(cp.code, 1)
    t.match(cp.stderr, KERNEL_REFUSES, 'the error names why CRIU cannot work here')
    t.equal((await rt.state(id)).status, 'running', 'the container is untouched')
    t.ok(isAlive(pid), 'its init still runs')
    await stillCounting(t, bundle, 'and still counts')
    t.notOk(existsSync(join(images, 'inventory.img')), 'no image was written')
    const rs = await rt.run(['restore', '--image-path', images, '--bundle', bundle.dir, id + '-r'])
    t.equal(rs.code, 1, 'restore fails too')
    t.match(rs.stderr, /no CRIU checkpoint there/)
    return
  }
  t.equal(cp.code, 0, cp.stderr)
  t.ok(existsSync(join(images, 'inventory.img')), 'criu wrote the images')
  // As runc: the checkpointed container is gone, its state with it.
  t.not((await rt.stateResult(id)).code, 0, 'the container no longer exists')
  t.ok(await waitFor(() => { reapOrphans(); return !isAlive(pid) }, 5000), 'its init is gone')
  const frozenAt = count(bundle)
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(count(bundle), frozenAt, 'nothing counts while checkpointed')
  t.same(hostMounts(), mountsBefore, 'no mount left on the host')

  const pidFile = join(images, 'restored.pid')
  const rs = await rt.run(['restore', '--detach', '--image-path', images, '--pid-file', pidFile, '--bundle', bundle.dir, id], { timeoutMs: 60_000 })
  t.equal(rs.code, 0, rs.stderr)
  const state = await rt.state(id)
  t.equal(state.status, 'running')
  t.equal(Number(readFileSync(pidFile, 'utf8')), state.pid, '--pid-file names the restored init')
  t.ok(await waitFor(() => count(bundle) > frozenAt, 5000), 'the counter goes on')
  t.ok(count(bundle) < frozenAt + 100, `from ${frozenAt}, not from 0 (now ${count(bundle)})`)
  const ex = await rt.run(['exec', id, 'cat', '/shared/count'])
  t.equal(ex.code, 0, `exec works in the restored container: ${ex.stderr}`)
  t.ok(Number(ex.stdout.trim()) > frozenAt)
  t.equal((await rt.kill(id, 'KILL')).code, 0, 'kill works')
  await rt.waitStatus(id, 'stopped')
  t.equal((await rt.delete(id)).code, 0, 'delete works')
  t.same(hostMounts(), mountsBefore, 'no mount left on the host')
})

t.test('checkpoint --leave-running keeps the container running', async t => {
  const { rt, bundle, id, pid } = await counterRunning(t)
  const images = tempDir(t, 'ocirt-criu-images-')
  const cp = await rt.run(['checkpoint', '--leave-running', '--image-path', images, id], { timeoutMs: 60_000 })
  if (criuWorks) {
    t.equal(cp.code, 0, cp.stderr)
    t.ok(existsSync(join(images, 'inventory.img')), 'criu wrote the images')
  } else {
    t.equal(cp.code, 1)
    t.match(cp.stderr, KERNEL_REFUSES)
  }
  const state = await rt.state(id)
  t.equal(state.status, 'running')
  t.equal(state.pid, pid, 'the same init')
  await stillCounting(t, bundle, 'it goes on counting')
})

t.test('checkpoint refuses what it cannot dump, before calling criu', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sleep', '30'] })
  t.equal((await rt.create(id, bundle.dir)).code, 0)
  const created = await rt.run(['checkpoint', '--image-path', join(bundle.dir, 'img'), id])
  t.equal(created.code, 1)
  t.match(created.stderr, /cannot be checkpointed in the created state/)
  t.notOk(existsSync(join(bundle.dir, 'img')), 'no image dir made')
  const missing = await rt.run(['checkpoint', 'no-such-container'])
  t.match(missing.stderr, /container does not exist: "no-such-container"/)
  t.equal((await rt.start(id)).code, 0)
  const mode = await rt.run(['checkpoint', '--manage-cgroups-mode', 'bogus', '--image-path', join(bundle.dir, 'img'), id])
  t.equal(mode.code, 1)
  t.match(mode.stderr, /flag --manage-cgroups-mode takes soft, full, strict or ignore, not "bogus"/)
  const ns = await rt.run(['checkpoint', '--empty-ns', 'ipc', '--image-path', join(bundle.dir, 'img'), id])
  t.match(ns.stderr, /flag --empty-ns takes "network", not "ipc"/)
  t.notOk(existsSync(join(bundle.dir, 'img')), 'no image dir made')
  t.equal((await rt.state(id)).status, 'running', 'the container is untouched')
})

t.test('restore of a bad image path is a clear error and leaves nothing behind', async t => {
  const { rt, bundle, id } = await ocirt(t)
  const before = snapshotHost()
  const missing = await rt.run(['restore', '--image-path', join(bundle.dir, 'nowhere'), '--bundle', bundle.dir, id])
  t.equal(missing.code, 1)
  t.match(missing.stderr, `--image-path ${join(bundle.dir, 'nowhere')}: no CRIU checkpoint there (no inventory.img)`)
  t.notOk(existsSync(join(bundle.dir, 'nowhere')), 'the image dir is not made')
  await assertNothingLeft(t, rt, id, before)

  // A directory that looks like an image but is not one: criu itself must refuse it.
  const images = tempDir(t, 'ocirt-criu-images-')
  writeFileSync(join(images, 'inventory.img'), 'not a criu image')
  const garbage = await rt.run(['restore', '--image-path', images, '--bundle', bundle.dir, id], { timeoutMs: 60_000 })
  t.equal(garbage.code, 1)
  t.match(garbage.stderr, criuWorks ? new RegExp(`restore of container "${id}" failed: criu restore: .*log: ${images}/restore.log`) : KERNEL_REFUSES)
  t.notOk(existsSync(join(rt.root, id)), 'no state dir')
  await assertNothingLeft(t, rt, id, before)
})

t.test('restore refuses configs it cannot restore, naming the field', async t => {
  const images = tempDir(t, 'ocirt-criu-images-')
  writeFileSync(join(images, 'inventory.img'), '')
  const terminal = await ocirt(t, spec => { spec.process!.terminal = true })
  const r1 = await terminal.rt.run(['restore', '--image-path', images, '--bundle', terminal.bundle.dir, terminal.id])
  t.match(r1.stderr, 'config.json: /process/terminal: checkpoint/restore of a container with a terminal is not supported')
  const r2 = await terminal.rt.run(['restore', '--console-socket', '/nonexistent.sock', '--image-path', images, '--bundle', terminal.bundle.dir, terminal.id])
  t.match(r2.stderr, 'flag --console-socket: restoring a container with a terminal is not supported')
  const joined = await ocirt(t, spec => {
    spec.linux!.namespaces = spec.linux!.namespaces!.map(n => n.type === 'ipc' ? { ...n, path: '/proc/self/ns/ipc' } : n)
  })
  const r3 = await joined.rt.run(['restore', '--image-path', images, '--bundle', joined.bundle.dir, joined.id])
  t.match(r3.stderr, /config.json: \/linux\/namespaces\/\d+\/path: checkpoint\/restore of a container that joins an existing ipc namespace is not supported/)
  for (const r of [r1, r2, r3]) t.equal(r.code, 1)
  t.same(await terminal.rt.list(), [])
  t.same(await joined.rt.list(), [])
})

/**
 * A stand-in for criu(8) that records each call's arguments (one per line,
 * calls ended by "--") and acts out the part of criu that ocirt relies on:
 * `check` passes; `pre-dump` and `dump` write inventory.img and, unless told to leave it
 * running, kills the tree; `restore` requires --root to be a mount point
 * holding the rootfs and starts a process as the restored init, writing its
 * pid to --pidfile (or, with "fail" in the image dir, logs an error and fails).
 */
function fakeCriu (t: TapLike): { path: string, calls: () => string[][] } {
  const dir = tempDir(t, 'ocirt-fake-criu-')
  const path = join(dir, 'criu')
  const record = join(dir, 'calls')
  writeFileSync(path, `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done >> ${record}; echo -- >> ${record}
action=$1; shift
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) tree=$2; shift ;; --images-dir) images=$2; shift ;; --work-dir) work=$2; shift ;;
    --log-file) log=$2; shift ;; --root) root=$2; shift ;; --pidfile) pidfile=$2; shift ;;
    --leave-running) leave=1 ;;
  esac
  shift
done
case $action in
  check) exit 0 ;;
  pre-dump) echo 'fake image' > "$images/inventory.img"; exit 0 ;;
  dump)
    echo 'fake image' > "$images/inventory.img"
    [ -n "$leave" ] || kill -9 "$tree"
    exit 0 ;;
  restore)
    if [ -e "$images/fail" ]; then echo "(00.000100) Error (fake/restore.c:1): cannot restore, as asked" > "$work/$log"; exit 1; fi
    mountpoint -q "$root" && [ -x "$root/bin/busybox" ] || { echo "Error (fake): --root $root is not the rootfs mounted" > "$work/$log"; exit 1; }
    setsid sleep 30 </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
    exit 0 ;;
esac
exit 1
`)
  chmodSync(path, 0o755)
  return {
    path,
    calls: () => existsSync(record) ? readFileSync(record, 'utf8').split('--\n').filter(Boolean).map(c => c.split('\n').filter(Boolean)) : [],
  }
}

/** The value after `flag` in an argv, or every value of a repeated flag. */
function valuesOf (argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => {
    const value = argv[i + 1]
    return a === flag && value !== undefined ? [value] : []
  })
}

t.test('ocirt\'s side with a stand-in criu: the dump\'s command line, then a restored container that state, kill and delete handle', async t => {
  const criu = fakeCriu(t)
  const { rt, bundle, id, pid } = await counterRunning(t)
  const images = join(tempDir(t, 'ocirt-criu-images-'), 'nested')
  const work = tempDir(t, 'ocirt-criu-work-')
  const cp = await rt.run(['--criu', criu.path, 'checkpoint', '--image-path', images, '--work-path', work, '--tcp-established', '--file-locks', id])
  t.equal(cp.code, 0, cp.stderr)
  const [check, dump = []] = criu.calls()
  t.same(check, ['check'])
  t.equal(dump[0], 'dump')
  t.same(valuesOf(dump, '--tree'), [String(pid)], 'the init\'s tree')
  t.same(valuesOf(dump, '--images-dir'), [images])
  t.same(valuesOf(dump, '--work-dir'), [work])
  t.same(valuesOf(dump, '--root'), [bundle.rootfs], 'the rootfs as root')
  t.ok(valuesOf(dump, '--external').includes('mnt[/shared]:/shared'), 'the bind mount is external, keyed by its mountpoint')
  t.ok(dump.includes('--manage-cgroups=soft'), 'cgroups in criu\'s soft mode by default, as runc')
  t.ok(dump.includes('--tcp-established') && dump.includes('--file-locks'), 'flags passed on')
  t.notOk(dump.includes('--leave-running'))
  const descriptors = JSON.parse(readFileSync(join(images, 'descriptors.json'), 'utf8')) as string[]
  t.equal(descriptors.length, 3, 'the init\'s stdio recorded for restore')
  t.not((await rt.stateResult(id)).code, 0, 'the checkpointed container is removed, as runc does')
  t.ok(await waitFor(() => { reapOrphans(); return !isAlive(pid) }, 5000), 'its init is gone')

  // Restore: stdout was a pipe at dump time; the restored init gets ours.
  writeFileSync(join(images, 'descriptors.json'), JSON.stringify(['/dev/null', 'pipe:[4242]', '/dev/null']))
  const mountsBefore = hostMounts()
  const pidFile = join(work, 'pid')
  const rs = await rt.run(['--criu', criu.path, 'restore', '--detach', '--image-path', images, '--work-path', work, '--pid-file', pidFile, '--bundle', bundle.dir, id])
  t.equal(rs.code, 0, rs.stderr)
  const restore = criu.calls().at(-1)!
  t.equal(restore[0], 'restore')
  t.ok(restore.includes('--restore-detached'))
  t.ok(valuesOf(restore, '--external').includes(`mnt[/shared]:${bundle.shared}`), 'the bind mount\'s key maps to the bundle\'s host path')
  t.same(valuesOf(restore, '--inherit-fd'), ['fd[1]:pipe:[4242]'], 'only the pipe is handed in')
  t.same(hostMounts(), mountsBefore, 'the rootfs mount for criu is gone again')
  const state = await rt.state(id)
  t.equal(state.status, 'running', 'a restored container is running')
  t.equal(Number(readFileSync(pidFile, 'utf8')), state.pid)
  t.match(readFileSync(`/proc/${state.pid!}/cmdline`, 'utf8'), /^sleep\x0030/)
  t.equal((await rt.kill(id, 'KILL')).code, 0, 'kill works')
  await rt.waitStatus(id, 'stopped')
  t.equal((await rt.delete(id)).code, 0, 'delete works')
  t.same(await rt.list(), [])
})

t.test('a stand-in criu: --pre-dump leaves the container running, --parent-path and --page-server reach criu', async t => {
  const criu = fakeCriu(t)
  const { rt, bundle, id, pid } = await counterRunning(t)
  const images = tempDir(t, 'ocirt-criu-images-')
  const pre = await rt.run(['--criu', criu.path, 'checkpoint', '--pre-dump', '--image-path', join(images, 'pre'), id])
  t.equal(pre.code, 0, pre.stderr)
  const preDump = criu.calls().at(-1)!
  t.equal(preDump[0], 'pre-dump')
  t.ok(preDump.includes('--track-mem'), 'memory tracking for the next dump')
  t.notOk(preDump.includes('--leave-running'), 'a pre-dump always leaves the tree running')
  t.equal((await rt.state(id)).pid, pid, 'the container still runs')

  const absolute = await rt.run(['--criu', criu.path, 'checkpoint', '--parent-path', join(images, 'pre'), '--image-path', join(images, 'full'), id])
  t.match(absolute.stderr, 'flag --parent-path must be relative to --image-path')
  const missing = await rt.run(['--criu', criu.path, 'checkpoint', '--parent-path', '../nothing', '--image-path', join(images, 'full'), id])
  t.match(missing.stderr, `flag --parent-path: ${join(images, 'nothing')} is not a directory`)
  const server = await rt.run(['--criu', criu.path, 'checkpoint', '--page-server', 'nohost', '--image-path', join(images, 'full'), id])
  t.match(server.stderr, 'flag --page-server takes ADDRESS:PORT, not "nohost"')
  t.equal(criu.calls().length, 2, 'none of these reached criu')
  t.notOk(existsSync(join(images, 'full')), 'nor made the image dir')

  const full = await rt.run(['--criu', criu.path, 'checkpoint', '--leave-running', '--parent-path', '../pre', '--page-server', '127.0.0.1:27', '--image-path', join(images, 'full'), id])
  t.equal(full.code, 0, full.stderr)
  const dump = criu.calls().at(-1)!
  t.same(valuesOf(dump, '--prev-images-dir'), ['../pre'])
  t.ok(dump.includes('--track-mem') && dump.includes('--leave-running') && dump.includes('--page-server'))
  t.same([valuesOf(dump, '--address'), valuesOf(dump, '--port')], [['127.0.0.1'], ['27']])
  await stillCounting(t, bundle, 'the container still counts')
})

t.test('a stand-in criu: restore in the foreground waits for the restored init and deletes the container', async t => {
  const criu = fakeCriu(t)
  const { rt, bundle, id } = await ocirt(t)
  const images = tempDir(t, 'ocirt-criu-images-')
  writeFileSync(join(images, 'inventory.img'), '')
  const child = spawnTracked(rt.binary, ['--root', rt.root, '--criu', criu.path, 'restore', '--image-path', images, '--bundle', bundle.dir, id], { stdio: 'ignore' })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  t.teardown(() => { child.kill('SIGKILL') })
  let status = ''
  for (let tries = 0; tries < 100 && status !== 'running'; tries++) {
    const r = await rt.stateResult(id)
    status = r.code === 0 ? (JSON.parse(r.stdout) as { status: string }).status : ''
    if (status !== 'running') await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.equal(status, 'running', 'the restored container runs while restore waits')
  const { pid } = await rt.state(id)
  // The init is ocirt's child now (criu left it to ocirt, the subreaper), so ocirt can wait for it.
  t.equal(readFileSync(`/proc/${pid!}/stat`, 'utf8').split(') ')[1]?.split(' ')[1], String(child.pid), 'restore is the parent of the restored init')
  t.equal((await rt.kill(id, 'TERM')).code, 0)
  t.equal(await exited, 143, 'restore exits with 128+SIGTERM, as run does')
  t.same(await rt.list(), [], 'and deletes the container')
})

t.test('a stand-in criu that fails restore: its log\'s error is quoted, nothing is left behind', async t => {
  const criu = fakeCriu(t)
  const { rt, bundle, id } = await ocirt(t)
  const images = tempDir(t, 'ocirt-criu-images-')
  writeFileSync(join(images, 'inventory.img'), '')
  writeFileSync(join(images, 'fail'), '')
  const pidFile = join(images, 'pid')
  const before = snapshotHost()
  const rs = await rt.run(['--criu', criu.path, 'restore', '--detach', '--pid-file', pidFile, '--image-path', images, '--bundle', bundle.dir, id])
  t.equal(rs.code, 1)
  t.match(rs.stderr, `restore of container "${id}" failed: criu restore: Error (fake/restore.c:1): cannot restore, as asked (log: ${images}/restore.log)`)
  t.notOk(existsSync(pidFile), 'no pid file')
  t.notOk(existsSync(join(rt.root, id)), 'no state dir')
  await assertNothingLeft(t, rt, id, before)

  const notFound = await rt.run(['--criu', join(images, 'no-criu'), 'checkpoint', 'x'])
  t.match(notFound.stderr, 'container does not exist: "x"', 'the container is looked up first')
  mkdirSync(join(images, 'again'))
  writeFileSync(join(images, 'again', 'inventory.img'), '')
  const noCriu = await rt.run(['--criu', join(images, 'no-criu'), 'restore', '--image-path', join(images, 'again'), '--bundle', bundle.dir, id])
  t.match(noCriu.stderr, `criu not found at ${join(images, 'no-criu')}`)
  await assertNothingLeft(t, rt, id, before)
})
