/** runtime.md "Delete": remove.ts removes the container; then its poststop hooks run. */
import type { Logger } from '../log.js'
import { runHooks } from './hooks.js'
import { removeContainer } from './remove.js'

export function deleteContainer (root: string, id: string, force: boolean, log: Logger): void {
  const removed = removeContainer(root, id, force, log)
  // runtime.md lifecycle step 13: after the container is gone; a failure is a warning.
  if (removed !== undefined) runHooks('poststop', removed, 'stopped', log, true)
}
