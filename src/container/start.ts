/**
 * runtime.md "Start": release the created init, which runs the
 * startContainer hooks inside the container and execs process.args, then run
 * the poststart hooks. A container whose init died while created cannot be
 * connected to (ECONNREFUSED), so start fails at once instead of hanging.
 * A failing hook stops the container and fails start (lifecycle steps 7, 9).
 */
import { unlinkSync } from '../linux/io.js'
import { join } from '../linux/path.js'
import { containerNotFound, OcirtError } from '../errors.js'
import { loadNative } from '../native.js'
import { containerStatus } from '../state/status.js'
import { StateStore, validateId } from '../state/store.js'
import type { Logger } from '../log.js'
import type { StoredState } from '../state/store.js'
import { stateJson } from './state.js'
import { mark } from '../trace.js'

// The hooks, the seccomp agent and stopContainer are imported only on the
// paths that use them: a compiled bun pays for the code it loads, run or
// not (issue 11, test/unit/chunk-bytes.test.ts), and a plain start
// has no poststart hook, no listenerPath and no failure.

/** Kills the init after a failed release or poststart hook (lifecycle steps 7, 9). */
async function stopAfterFailure (state: StoredState): Promise<void> {
  const { stopContainer } = await import('./signal.js')
  stopContainer(state)
}

/**
 * After the release (or a failed one) exec.sock goes: its absence is what
 * tells `state` that the container has left `created`. unlink alone, as a
 * missing socket is the only case to forgive (rmSync would lstat first).
 */
function removeExecSock (dir: string): void {
  try {
    unlinkSync(join(dir, 'exec.sock'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
}

/** seccompAgent's callback for the init's listener fd, or undefined without an agent. */
async function listenerCallback (state: StoredState): Promise<((fd: number) => void) | undefined> {
  // seccompAgent answers undefined without a listenerPath too; this spares loading it.
  if (state.config.linux?.seccomp?.listenerPath === undefined) return undefined
  const { seccompAgent } = await import('./seccomp-agent.js')
  const agent = seccompAgent(state.config, () => stateJson(state, 'created'))
  return agent === undefined ? undefined : fd => { agent(state.pid, fd) }
}

export async function startContainer (root: string, id: string, log: Logger): Promise<void> {
  validateId(id)
  const store = new StateStore(root)
  const dir = store.dir(id)
  mark('lookup')
  await store.withLockAsync(id, async () => {
    const state = store.read(id)
    if (state === null) throw containerNotFound(id)
    const status = containerStatus(state, dir)
    if (status === 'stopped') throw new OcirtError('cannot start a container that has stopped')
    if (status === 'running') throw new OcirtError('cannot start an already running container')
    if (status !== 'created') throw new OcirtError(`cannot start a container in the ${status} state`)
    if (state.config.process === undefined) throw new OcirtError('config.json has no process to start')
    // The startContainer hooks run in the init, inside the container, after
    // start connects (see planStartContainerHooks); their failure comes back as `error`.
    let error: string
    // With no_new_privs the filter is loaded after start's connection: its listener comes on it.
    const onListener = await listenerCallback(state)
    try {
      error = loadNative().releaseInit(dir, onListener)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET') {
        throw new OcirtError('cannot start a container that has stopped (its init exited before start)')
      }
      await stopAfterFailure(state)
      throw e
    } finally {
      removeExecSock(dir)
    }
    mark('released')
    if (error !== '') throw new OcirtError(error)
    if ((state.config.hooks?.poststart ?? []).length === 0) return
    try {
      const { runHooks } = await import('./hooks.js')
      runHooks('poststart', state, 'running', log)
    } catch (e) {
      await stopAfterFailure(state)
      throw e
    }
  })
}
