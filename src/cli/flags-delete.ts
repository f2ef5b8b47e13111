/** delete's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

export function deleteFlags () {
  return [
    { name: 'force', short: 'f', type: 'boolean', description: 'kill the container first if it is running' },
    help] as const satisfies readonly Flag[]
}
