/** Flags that several commands declare alike (create, run, exec, restore, spec). */
import type { Flag } from './types.js'

export const bundle = { name: 'bundle', short: 'b', type: 'string', valueName: 'DIR', description: 'the bundle directory (default: the current directory)' } as const satisfies Flag
export const pidFile = { name: 'pid-file', type: 'string', valueName: 'FILE', description: 'write the pid of the container process to FILE' } as const satisfies Flag
export const consoleSocket = { name: 'console-socket', type: 'string', valueName: 'PATH', description: 'unix socket that receives the pty master when process.terminal is true' } as const satisfies Flag
export const preserveFds = { name: 'preserve-fds', type: 'string', valueName: 'N', default: '0', description: 'pass N fds after stdio (3 .. 3+N-1) to the container' } as const satisfies Flag
export const detach = { name: 'detach', short: 'd', type: 'boolean', description: 'return once the container runs' } as const satisfies Flag
