/** exec's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'
import { consoleSocket, pidFile, preserveFds } from './flags-shared.js'

export function execFlags () {
  return [
    { name: 'process', short: 'p', type: 'string', valueName: 'FILE', description: 'a process.json (config.md "process") instead of the command line' },
    { name: 'detach', short: 'd', type: 'boolean', description: 'return once the process runs' },
    pidFile, consoleSocket,
    { name: 'tty', short: 't', type: 'boolean', description: 'allocate a pseudo-TTY' },
    { name: 'cwd', type: 'string', valueName: 'DIR', description: 'working directory in the container' },
    { name: 'env', short: 'e', type: 'string', valueName: 'KEY=VALUE', multiple: true, description: 'add an environment variable (repeatable)' },
    { name: 'user', short: 'u', type: 'string', valueName: 'UID[:GID]', description: 'run as this user' },
    { name: 'additional-gids', short: 'g', type: 'string', valueName: 'GID', multiple: true, description: 'an additional group (repeatable)' },
    { name: 'cap', short: 'c', type: 'string', valueName: 'CAP', multiple: true, description: 'add a capability (repeatable)' },
    { name: 'no-new-privs', type: 'boolean', description: 'set no_new_privs for the process' },
    { name: 'apparmor', type: 'string', valueName: 'PROFILE', description: 'AppArmor profile for the process' },
    { name: 'process-label', type: 'string', valueName: 'LABEL', description: 'SELinux label for the process' },
    preserveFds, help] as const satisfies readonly Flag[]
}
