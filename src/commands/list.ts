/** ocirt list: every container under --root, as a table or JSON. */
import type { listFlags } from '../cli/flags-list.js'
import type { CommandContext } from '../cli/types.js'
import { stateJson } from '../container/state.js'
import { UsageError } from '../errors.js'
import { print } from '../output.js'
import { containerStatus } from '../state/status.js'
import { StateStore } from '../state/store.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { listFlags as flags } from '../cli/flags-list.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof listFlags, []>): number {
  const format = ctx.flags.format
  if (format !== 'table' && format !== 'json') throw new UsageError(`flag --format must be table or json, not "${format}"`)
  const store = new StateStore(ctx.globals.root)
  const states = store.ids().flatMap(id => {
    const s = store.read(id)
    return s === null ? [] : [stateJson(s, containerStatus(s, store.dir(id)))]
  })
  if (ctx.flags.quiet) {
    if (states.length > 0) print(states.map(s => s.id).join('\n'))
    return 0
  }
  if (format === 'json') {
    print(JSON.stringify(states))
    return 0
  }
  const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']
  const rows = [header, ...states.map(s => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner === '' ? 'root' : s.owner])]
  // Every row has header.length cells.
  const widths = header.map((_, col) => Math.max(...rows.map(r => r[col]?.length ?? 0)) + 3)
  print(rows.map(r => r.map((cell, col) => col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)).join('')).join('\n'))
  return 0
}
