/** ocirt kill: runtime.md "Kill". */
import type { killFlags } from '../cli/flags-kill.js'
import type { CommandContext } from '../cli/types.js'
import { findContainer } from '../container/lookup.js'
import { killContainer, parseSignal } from '../container/signal.js'
import { OcirtError } from '../errors.js'
import { mark } from '../trace.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { killFlags as flags } from '../cli/flags-kill.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof killFlags, [id: string, ...signal: string[]]>): number {
  // As runc: signal 0 (kill(2)'s existence check) delivers nothing; exit 0 says the container is alive.
  const signal = ctx.args[1] === '0' ? 0 : parseSignal(ctx.args[1] ?? 'SIGTERM')
  const { state, status } = findContainer(ctx.globals.root, ctx.args[0])
  mark('lookup')
  const all = ctx.flags.all
  // runtime.md: only a created or running container may be signalled.
  if (status !== 'created' && status !== 'running' && status !== 'paused') {
    // As runc 1.1.5: `kill --all` of a stopped container signals whatever is
    // left in its cgroup and succeeds. containerd's shim deletes every exited
    // task with `kill --all ID 9` and treats any failure as "unknown error
    // after kill", so the task is never reaped (conformance/deviations.md
    // kill-all-stopped).
    if (all && status === 'stopped') {
      killContainer(state, signal, true)
      return 0
    }
    // runc's words: the shim (containerd pkg/process checkKillError) takes
    // "container not running" to mean "already exited".
    throw new OcirtError('container not running')
  }
  killContainer(state, signal, all)
  mark('signalled')
  return 0
}
