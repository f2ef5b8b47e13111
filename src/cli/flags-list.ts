/** list's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

export function listFlags () {
  return [
    { name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print only the ids' },
    help] as const satisfies readonly Flag[]
}
