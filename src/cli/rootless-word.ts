/**
 * --rootless's word, checked for every command in the entry chunk (parse.ts)
 * without the host's facts that `auto` needs (privilege.ts, loaded later).
 */
import { UsageError } from '../errors.js'

/**
 * --rootless's word alone: true, false or 'auto', which needs the host's
 * facts (read from /proc) and is decided only when a command asks (parse.ts).
 * True and false are the words of Go's strconv.ParseBool, as runc takes them;
 * a switch, not two Sets built when the entry chunk loads.
 */
export function parseRootlessWord (flag: string | undefined): boolean | 'auto' {
  const word = flag ?? 'auto'
  if (word === '' || word.toLowerCase() === 'auto') return 'auto'
  switch (word) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false
  }
  throw new UsageError(`flag --rootless must be true, false or auto, not "${word}"`)
}
