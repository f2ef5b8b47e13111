/** Flag values shared by several commands. */
import { UsageError } from '../errors.js'

export function preserveFdsFlag (flags: Record<string, string | boolean | string[] | undefined>): number {
  const text = (flags['preserve-fds'] as string | undefined) ?? '0'
  if (!/^\d+$/.test(text)) throw new UsageError(`flag --preserve-fds takes a number, not "${text}"`)
  return Number(text)
}
