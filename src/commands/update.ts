/**
 * ocirt update: runc's flags, or a linux.resources document with
 * --resources FILE (or - for stdin). See container/update.ts.
 */
import { readBounded, readDocument } from '../container/document.js'
import type { updateFlags } from '../cli/flags-update.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import { updateContainer } from '../container/update.js'
import { UsageError } from '../errors.js'
import { parseResources } from '../spec/validate.js'
import type { LinuxResources } from '../spec/types.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { updateFlags as flags } from '../cli/flags-update.js'
export { support } from '../cli/support.js'

/** "512m", "1g", "1024", "-1": docker's RAMInBytes (powers of 1024), as runc's --memory takes. */
export function parseBytes (flag: string, text: string): number {
  if (text === '-1') return -1
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(text.trim())
  if (m === null) throw new UsageError(`flag --${flag}: "${text}" is not a size like 1024, 512k, 64m or 1g`)
  const power = ' kmgtp'.indexOf((m[2] ?? '').toLowerCase() || ' ')
  return Math.floor(Number(m[1]) * 1024 ** power)
}

function parseInteger (flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`flag --${flag}: "${text}" is not an integer`)
  return Number(text)
}

/** runc's update flags → where each lands in linux.resources. */
const FLAG_FIELDS: ReadonlyArray<[flag: Exclude<ReturnType<typeof updateFlags>[number]['name'], 'resources' | 'help'>, section: 'memory' | 'cpu' | 'pids' | 'blockIO', field: string, parse: 'bytes' | 'int' | 'string']> = [
  ['memory', 'memory', 'limit', 'bytes'],
  ['memory-reservation', 'memory', 'reservation', 'bytes'],
  ['memory-swap', 'memory', 'swap', 'bytes'],
  ['kernel-memory', 'memory', 'kernel', 'bytes'],
  ['kernel-memory-tcp', 'memory', 'kernelTCP', 'bytes'],
  ['cpu-share', 'cpu', 'shares', 'int'],
  ['cpu-period', 'cpu', 'period', 'int'],
  ['cpu-quota', 'cpu', 'quota', 'int'],
  ['cpu-rt-period', 'cpu', 'realtimePeriod', 'int'],
  ['cpu-rt-runtime', 'cpu', 'realtimeRuntime', 'int'],
  ['cpu-idle', 'cpu', 'idle', 'int'],
  ['cpuset-cpus', 'cpu', 'cpus', 'string'],
  ['cpuset-mems', 'cpu', 'mems', 'string'],
  ['pids-limit', 'pids', 'limit', 'int'],
  ['blkio-weight', 'blockIO', 'weight', 'int'],
]

export function run (ctx: CommandContext<typeof updateFlags, ContainerArgs>): number {
  const file = ctx.flags.resources
  let patch: LinuxResources = {}
  let source = 'update flags'
  if (file !== undefined) {
    source = file === '-' ? 'update --resources (stdin)' : file
    patch = parseResources(file === '-' ? readBounded(0, source) : readDocument(file, 'update --resources'), source)
  }
  const sections = patch as Record<string, Record<string, unknown> | undefined>
  for (const [flag, section, field, kind] of FLAG_FIELDS) {
    const text = ctx.flags[flag]
    if (text === undefined) continue
    const value = kind === 'bytes' ? parseBytes(flag, text) : kind === 'int' ? parseInteger(flag, text) : text
    sections[section] = { ...sections[section], [field]: value }
  }
  if (Object.keys(patch).length === 0) throw new UsageError('update: nothing to update: give --resources FILE or a flag such as --memory')
  updateContainer(ctx.globals.root, ctx.args[0], patch, source, ctx.log)
  return 0
}
