/** events's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

export function eventsFlags () {
  return [
    { name: 'stats', type: 'boolean', description: 'print the usage once and exit' },
    { name: 'interval', type: 'string', valueName: 'DURATION', default: '5s', description: 'how often to print the usage' },
    help] as const satisfies readonly Flag[]
}
