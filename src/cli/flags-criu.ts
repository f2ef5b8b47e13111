/** checkpoint's and restore's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'
import { bundle, consoleSocket, detach, pidFile } from './flags-shared.js'

/** checkpoint's and restore's common flags (criu's options). */
export function criuCommonFlags () {
  return [
    { name: 'image-path', type: 'string', valueName: 'DIR', default: './checkpoint', description: 'the directory of the criu image files' },
    { name: 'work-path', type: 'string', valueName: 'DIR', description: 'the directory for criu\'s log and work files (default: the image path)' },
    { name: 'tcp-established', type: 'boolean', description: 'allow open TCP connections' },
    { name: 'ext-unix-sk', type: 'boolean', description: 'allow external unix sockets' },
    { name: 'shell-job', type: 'boolean', description: 'allow shell jobs (a controlling terminal from outside)' },
    { name: 'file-locks', type: 'boolean', description: 'dump and restore file locks' },
    { name: 'manage-cgroups-mode', type: 'string', valueName: 'soft|full|strict|ignore', default: 'soft', description: 'criu\'s cgroups mode (as runc: soft)' },
    { name: 'empty-ns', type: 'string', valueName: 'network', multiple: true, description: 'create the namespace but do not restore its contents (repeatable)' },
  ] as const satisfies readonly Flag[]
}

export function checkpointFlags () {
  return [...criuCommonFlags(),
    { name: 'parent-path', type: 'string', valueName: 'DIR', description: 'a previous pre-dump, relative to the image path' },
    { name: 'leave-running', type: 'boolean', description: 'leave the container running after the checkpoint' },
    { name: 'pre-dump', type: 'boolean', description: 'dump only the memory, and leave the container running' },
    { name: 'auto-dedup', type: 'boolean', description: 'deduplicate the memory images against the parent' },
    { name: 'page-server', type: 'string', valueName: 'ADDRESS:PORT', description: 'send the memory pages to a criu page server' },
    help] as const satisfies readonly Flag[]
}

export function restoreFlags () {
  return [...criuCommonFlags(), bundle, pidFile, consoleSocket, detach, help] as const satisfies readonly Flag[]
}
