/** kill's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

export function killFlags () {
  return [
    { name: 'all', short: 'a', type: 'boolean', description: 'signal every process of the container' },
    help] as const satisfies readonly Flag[]
}
