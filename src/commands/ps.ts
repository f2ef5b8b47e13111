/**
 * ocirt ps (runc's): the container's processes. `--format json` prints their
 * host pids, as containerd reads them; the table is ps(1)'s output (its
 * options after the id, -ef by default) cut down to those processes.
 * "The container's processes" are those in its cgroup.
 */
import { spawnSync } from 'node:child_process'
import type { psFlags } from '../cli/flags-ps.js'
import type { CommandContext } from '../cli/types.js'
import { findContainer } from '../container/lookup.js'
import { containerPids } from '../container/signal.js'
import { OcirtError, UsageError } from '../errors.js'
import { print } from '../output.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { psFlags as flags } from '../cli/flags-ps.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof psFlags, [id: string, ...psOptions: string[]]>): number {
  const format = ctx.flags.format
  if (format !== 'table' && format !== 'json') throw new UsageError(`flag --format must be table or json, not "${format}"`)
  const { state, status } = findContainer(ctx.globals.root, ctx.args[0])
  const pids = status === 'stopped' ? [] : containerPids(state)
  if (format === 'json') {
    print(JSON.stringify(pids))
    return 0
  }
  const psArgs = ctx.args.slice(1)
  const ps = spawnSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8' })
  if (ps.status !== 0) throw new OcirtError(`ps ${psArgs.join(' ')} failed: ${ps.stderr.trim() || ps.error?.message}`)
  const [header, ...lines] = ps.stdout.split('\n').filter(l => l !== '')
  // No output at all is an output without a PID column.
  const pidColumn = (header ?? '').trim().split(/\s+/).indexOf('PID')
  if (pidColumn < 0) throw new OcirtError('ps output has no PID column; pass options that print one')
  const wanted = new Set(pids)
  print([header, ...lines.filter(l => wanted.has(Number(l.trim().split(/\s+/)[pidColumn])))].join('\n'))
  return 0
}
