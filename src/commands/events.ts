/** ocirt events: see container/events.ts. */
import type { eventsFlags } from '../cli/flags-events.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { printStats, streamEvents } from '../container/events.js'
import { UsageError } from '../errors.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { eventsFlags as flags } from '../cli/flags-events.js'
export { support } from '../cli/support.js'

/** Go durations as runc takes them: "5s", "500ms", "1m", "1.5s". */
export function parseDuration (text: string): number {
  const units: Record<string, number | undefined> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text)
  const ms = m === null ? NaN : Number(m[1]) * (units[m[2] ?? ''] ?? NaN)
  if (!(ms > 0)) throw new UsageError(`flag --interval: "${text}" is not a positive duration like 5s or 500ms`)
  return ms
}

export async function run (ctx: CommandContext<typeof eventsFlags, ContainerArgs>): Promise<number> {
  if (ctx.flags.stats) {
    printStats(ctx.globals.root, ctx.args[0])
    return 0
  }
  await streamEvents(ctx.globals.root, ctx.args[0], parseDuration(ctx.flags.interval))
  return 0
}
