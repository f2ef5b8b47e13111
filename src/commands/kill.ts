/** ocirt kill: runtime.md "Kill". */
import type { CommandContext } from '../cli/table.js'
import { findContainer } from '../container/lookup.js'
import { killContainer, parseSignal } from '../container/signal.js'
import { OcirtError } from '../errors.js'
import { mark } from '../trace.js'

export function run (ctx: CommandContext): number {
  // As runc: signal 0 (kill(2)'s existence check) delivers nothing; exit 0 says the container is alive.
  const signal = ctx.args[1] === '0' ? 0 : parseSignal(ctx.args[1] ?? 'SIGTERM')
  const { state, status } = findContainer(ctx.globals.root, ctx.args[0])
  mark('lookup')
  // runtime.md: only a created or running container may be signalled.
  if (status !== 'created' && status !== 'running' && status !== 'paused') throw new OcirtError(`container "${state.id}" is not running (${status})`)
  killContainer(state, signal, ctx.flags.all === true)
  mark('signalled')
  return 0
}
