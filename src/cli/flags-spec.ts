/** spec's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'
import { bundle } from './flags-shared.js'

export function specFlags () {
  return [bundle,
    { name: 'rootless', type: 'boolean', description: 'a config for a container run without root' },
    help] as const satisfies readonly Flag[]
}
