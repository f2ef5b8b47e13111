/**
 * runtime.md "Start": release the created init, which runs the
 * startContainer hooks inside the container and execs process.args, then run
 * the poststart hooks. A container whose init died while created cannot be
 * connected to (ECONNREFUSED), so start fails at once instead of hanging.
 * A failing hook stops the container and fails start (lifecycle steps 7, 9).
 */
import { rmSync } from '../linux/io.js'
import { join } from '../linux/path.js'
import { containerNotFound, OcirtError } from '../errors.js'
import { loadNative } from '../native.js'
import { containerStatus } from '../state/status.js'
import { StateStore, validateId } from '../state/store.js'
import type { Logger } from '../log.js'
import { runHooks } from './hooks.js'
import { seccompAgent } from './seccomp-agent.js'
import { stateJson } from './state.js'
import { stopContainer } from './signal.js'
import { mark } from '../trace.js'

export function startContainer (root: string, id: string, log: Logger): void {
  validateId(id)
  const store = new StateStore(root)
  const dir = store.dir(id)
  mark('lookup')
  store.withLock(id, () => {
    const state = store.read(id)
    if (state === null) throw containerNotFound(id)
    const status = containerStatus(state, dir)
    if (status === 'stopped') throw new OcirtError('cannot start a container that has stopped')
    if (status === 'running') throw new OcirtError('cannot start an already running container')
    if (status !== 'created') throw new OcirtError(`cannot start a container in the ${status} state`)
    if (state.config.process === undefined) throw new OcirtError('config.json has no process to start')
    const stopOnFailure = (hooks: () => void): void => {
      try {
        hooks()
      } catch (e) {
        stopContainer(state)
        throw e
      }
    }
    // The startContainer hooks run in the init, inside the container, after
    // start connects (see planStartContainerHooks); their failure comes back as `error`.
    let error: string
    // With no_new_privs the filter is loaded after start's connection: its listener comes on it.
    const agent = seccompAgent(state.config, () => stateJson(state, 'created'))
    try {
      error = loadNative().releaseInit(dir, agent === undefined ? undefined : fd => { agent(state.pid, fd) })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET') {
        throw new OcirtError('cannot start a container that has stopped (its init exited before start)')
      }
      stopContainer(state)
      throw e
    } finally {
      rmSync(join(dir, 'exec.sock'), { force: true })
    }
    mark('released')
    if (error !== '') throw new OcirtError(error)
    stopOnFailure(() => { runHooks('poststart', state, 'running', log) })
  })
}
