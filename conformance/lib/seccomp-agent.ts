/**
 * A seccomp agent for listenerPath tests (config-linux.md "Seccomp"): the C
 * program next to this file, compiled once per test process with the host's
 * cc, run in its own process group and killed (with its per-listener
 * children) in the test's teardown.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TapLike } from './harness.js'
import { waitFor } from './harness.js'
import { spawnTracked } from './reaper.js'
import { compileHelper } from './cc.js'

export interface ContainerProcessState {
  ociVersion: string
  fds?: string[]
  pid: number
  metadata?: string
  state: { ociVersion: string, id: string, status: string, pid?: number, bundle: string, annotations?: Record<string, string> }
}

export interface SeccompAgent {
  /** The socket to name as linux.seccomp.listenerPath. */
  socket: string
  /** Each container process state received, with how many fds came with it (SCM_RIGHTS) and whether the runtime closed the connection after it. */
  states: () => Array<{ fds: number, closed: boolean, state: ContainerProcessState }>
  /** Each notification answered: syscall number and the pid that made it. */
  notifications: () => Array<{ nr: number, pid: number }>
}

/** Starts an agent that answers every notified syscall with errno `errnoRet`. */
export async function startSeccompAgent (t: TapLike, errnoRet: number): Promise<SeccompAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'seccomp-listener-'))
  const socket = join(dir, 'agent.sock')
  // Tracked: the harness's subreaper must leave this child to node.
  const child = spawnTracked(compileHelper('seccomp-agent'), [socket, String(errnoRet)], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { output += d })
  t.teardown(() => {
    try { process.kill(-(child.pid as number), 'SIGKILL') } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true })
  })
  const lines = (kind: string): string[] => output.split('\n').filter(l => l.startsWith(`${kind} `)).map(l => l.slice(kind.length + 1))
  if (await waitFor(() => output.startsWith('listening\n')) === undefined) throw new Error('the seccomp agent did not start')
  return {
    socket,
    states: () => lines('state').map(l => {
      // "FDS CLOSED JSON"; a short line leaves JSON.parse nothing to parse, and it throws.
      const [fds = '', closed = ''] = l.split(' ', 2)
      return { fds: Number(fds), closed: closed === '1', state: JSON.parse(l.slice(fds.length + closed.length + 2)) as ContainerProcessState }
    }),
    notifications: () => lines('notify').map(l => { const [nr = NaN, pid = NaN] = l.split(' ').map(Number); return { nr, pid } }),
  }
}
