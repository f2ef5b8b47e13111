/**
 * --log and --log-format: where errors and warnings go. containerd and
 * podman read the error of a failed call from the JSON log file
 * (`{"level":"error","msg":"...","time":"..."}` per line, logrus' format);
 * the text format is logrus' text format. Errors also go to stderr.
 */
import { appendFileSync, writeSync } from 'node:fs'

export type LogFormat = 'text' | 'json'
type Level = 'debug' | 'info' | 'warning' | 'error'

export class Logger {
  constructor (readonly file: string | undefined, readonly format: LogFormat, readonly debugEnabled: boolean) {}

  private write (level: Level, msg: string): void {
    const time = new Date().toISOString()
    const line = this.format === 'json'
      ? JSON.stringify({ level, msg, time }) + '\n'
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`
    if (this.file !== undefined) {
      try {
        appendFileSync(this.file, line)
        return
      } catch {
        // An unwritable log must not hide the message: fall through to stderr.
      }
    }
    if (level !== 'error') writeSync(2, line)
  }

  debug (msg: string): void { if (this.debugEnabled) this.write('debug', msg) }
  warn (msg: string): void { this.write('warning', msg) }
  /** Logs the error and prints it on stderr, as runc does with a failed command. */
  error (msg: string): void {
    this.write('error', msg)
    // writeSync: a stream write costs ~8 ms more in a compiled bun executable, and could be cut short by exit.
    writeSync(2, `ocirt: ${msg}\n`)
  }
}
