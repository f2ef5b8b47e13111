/**
 * process.terminal and --console-socket (runc's protocol): the init makes a
 * pty in the container's devpts, makes it the process's stdio and
 * controlling terminal, and sends the master over the console socket.
 */
import { ConfigError, UsageError } from '../errors.js'
import type { Process } from '../spec/types.js'

export interface ConsolePlan {
  terminal: boolean
  consoleSocket?: string
  consoleRows?: number
  consoleCols?: number
}

/** `file` and `at` name where process.terminal came from, for the error. */
export function planConsole (process: Process, consoleSocket: string | undefined, file: string, at: string): ConsolePlan {
  if (process.terminal !== true) {
    if (consoleSocket !== undefined) throw new UsageError(`--console-socket is only for a process with a terminal (${file} ${at}/terminal is not true)`)
    return { terminal: false }
  }
  if (consoleSocket === undefined) {
    throw new ConfigError(file, `${at}/terminal`, 'a terminal needs --console-socket, the unix socket that receives the pty master')
  }
  // config.md: consoleSize is ignored unless terminal is true.
  return {
    terminal: true,
    consoleSocket,
    consoleRows: process.consoleSize?.height ?? 0,
    consoleCols: process.consoleSize?.width ?? 0,
  }
}
