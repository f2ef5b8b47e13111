/** ps's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

export function psFlags () {
  return [
    { name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format (json: the host pids)' },
    help] as const satisfies readonly Flag[]
}
