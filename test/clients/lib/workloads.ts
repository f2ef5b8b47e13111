/**
 * The one-shot workloads both clients run the same way (`ctr run --rm`,
 * `podman run --rm`): output and exit status, a read-only rootfs, a dropped
 * capability, the default seccomp profile and --privileged, and run -t. Each
 * client says how it spells the flags.
 */
import type { Test } from 'tap'
import { type CmdOptions, type CmdResult, hasCapability } from './common.js'

/** Runs a fresh container to completion (removed afterwards) with these client flags and argv. */
export type OneShot = (what: string, flags: string[], argv: string[], options?: CmdOptions) => Promise<CmdResult>

export interface ClientFlags {
  client: string
  /** Flags that drop CAP_CHOWN. */
  dropChown: string[]
  /** Flags that turn the default seccomp profile on (podman: none, it is the default). */
  seccomp: string[]
  /** Flags that connect the client's stdin to the program's (ctr: always). */
  interactive: string[]
  /** A path the client keeps writable under --read-only. */
  writableUnderReadOnly: string
  /**
   * Flags for a container without seccomp and with CAP_SYS_ADMIN; default
   * --privileged. (Docker's --privileged asks for every capability, also
   * those outside the host's bounding set, which no runtime can grant.)
   */
  privileged?: string[]
}

const seccompMode = 'grep "^Seccomp:" /proc/self/status | tr -d "\\t " | cut -d: -f2'

export function oneShotWorkloads (t: Test, run: OneShot, flags: ClientFlags): void {
  t.test('one-shot run: the program\'s output and exit code', async t => {
    const r = await run('oneshot', [], ['sh', '-c', 'echo out; echo err >&2; exit 3'])
    t.equal(r.code, 3, `${flags.client} exits with the program's status`, { stderr: r.stderr })
    t.equal(r.stdout, 'out\n', 'stdout')
    t.match(r.stderr, /err/, 'stderr')
    const ok = await run('oneshot', [], ['true'])
    t.equal(ok.code, 0, 'exit 0', { stderr: ok.stderr })
    const stdin = await run('stdin', flags.interactive, ['sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' })
    t.equal(stdin.stdout, 'got hello\n', 'the client\'s stdin reaches the program', { code: stdin.code, stderr: stdin.stderr })
  })

  t.test('--read-only: the root filesystem is read-only', async t => {
    const r = await run('ro', ['--read-only'], ['sh', '-c', `touch /x; echo $?; touch ${flags.writableUnderReadOnly}/x && echo writable`])
    t.match(r.stderr, /Read-only file system/, 'writing to / fails', { stdout: r.stdout })
    t.equal(r.stdout, '1\nwritable\n', `${flags.writableUnderReadOnly} stays writable`)
  })

  t.test('--cap-drop: the capability is gone', async t => {
    const script = 'grep CapEff /proc/self/status; chown 1000 /tmp && echo chown-ok'
    const dropped = await run('capdrop', flags.dropChown, ['sh', '-c', script])
    t.notOk(hasCapability(dropped.stdout.split('\n')[0] ?? '', 0), 'CAP_CHOWN not effective', { stdout: dropped.stdout })
    t.notMatch(dropped.stdout, /chown-ok/, 'chown fails')
    const kept = await run('capdrop', [], ['sh', '-c', script])
    t.ok(hasCapability(kept.stdout.split('\n')[0] ?? '', 0), 'without --cap-drop CAP_CHOWN is effective', { stdout: kept.stdout })
    t.match(kept.stdout, /chown-ok/, 'and chown works')
  })

  const privilegedFlags = flags.privileged ?? ['--privileged']
  t.test(`the default seccomp profile is active; ${privilegedFlags.join(' ')} runs without one`, async t => {
    const confined = await run('seccomp', flags.seccomp, ['sh', '-c', seccompMode])
    t.equal(confined.stdout, '2\n', 'Seccomp: 2 (filter)', { stderr: confined.stderr })
    const privileged = await run('privileged', privilegedFlags, ['sh', '-c', `${seccompMode}; mount -t tmpfs none /tmp && echo mount-ok`])
    t.equal(privileged.stdout, '0\nmount-ok\n', 'privileged: no filter, and CAP_SYS_ADMIN', { stderr: privileged.stderr })
  })

  t.test('run -t: the program gets a terminal', async t => {
    const r = await run('tty', ['--tty'], ['sh', '-c', 'tty; exit 4'], { tty: true })
    t.match(r.stdout, /\/dev\/pts\/0\r+\n/, 'its stdio is the pty (the line discipline adds CR)', { stderr: r.stderr })
    t.equal(r.code, 4, 'exit status')
  })
}
