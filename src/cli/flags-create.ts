/** create's and run's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'
import { bundle, consoleSocket, detach, pidFile, preserveFds } from './flags-shared.js'

const noPivot = { name: 'no-pivot', type: 'boolean', description: 'use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)' } as const satisfies Flag
const noNewKeyring = { name: 'no-new-keyring', type: 'boolean', description: 'keep the caller\'s session keyring instead of a new one named _ses.ID' } as const satisfies Flag

/** create's and run's common flags (createOptions in commands/flags.ts). */
export function createCommonFlags () {
  return [bundle, pidFile, consoleSocket, preserveFds, noPivot, noNewKeyring] as const satisfies readonly Flag[]
}

export function createFlags () {
  return [...createCommonFlags(),
    { name: 'dry-run', type: 'boolean', description: 'print the plan create would carry out on this host as JSON, and change nothing (no state, cgroup, process, mount or hook); runc cannot show this' },
    help] as const satisfies readonly Flag[]
}

export function runFlags () {
  return [...createCommonFlags(),
    detach,
    { name: 'keep', type: 'boolean', description: 'do not delete the container after it exits' },
    help] as const satisfies readonly Flag[]
}
