/**
 * --rootless's word, checked for every command in the entry chunk (parse.ts)
 * without the host's facts that `auto` needs (privilege.ts, loaded later).
 */
import { UsageError } from '../errors.js'

/** The words runc's --rootless takes for true and false (Go's strconv.ParseBool). */
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/**
 * --rootless's word alone: true, false or 'auto', which needs the host's
 * facts (read from /proc) and is decided only when a command asks (parse.ts).
 */
export function parseRootlessWord (flag: string | undefined): boolean | 'auto' {
  const word = flag ?? 'auto'
  if (word === '' || word.toLowerCase() === 'auto') return 'auto'
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  throw new UsageError(`flag --rootless must be true, false or auto, not "${word}"`)
}
