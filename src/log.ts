/**
 * --log and --log-format: where errors and warnings go. containerd and
 * podman read the error of a failed call from the JSON log file
 * (`{"level":"error","msg":"...","time":"..."}` per line, logrus' format);
 * the text format is logrus' text format. Errors also go to stderr.
 *
 * Errors come first: podman and buildah show only the first line the runtime
 * writes (to stderr, or the first error of the log), so a warning written
 * before an error would hide it. Warnings are held until the command ends
 * (or fails, after its error), or until a foreground command starts to
 * wait for its container (flushWarnings).
 */
import { appendFileSync, writeSync } from './linux/io.js'

export type LogFormat = 'text' | 'json'
type Level = 'debug' | 'info' | 'warning' | 'error'

export class Logger {
  private pendingWarnings: string[] = []

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
  /** Held until flushWarnings (or after an error): see the comment at the top. */
  warn (msg: string): void { this.pendingWarnings.push(msg) }

  /** Writes the warnings held so far, in order. */
  flushWarnings (): void {
    const held = this.pendingWarnings
    this.pendingWarnings = []
    for (const msg of held) this.write('warning', msg)
  }

  /** Logs the error and prints it on stderr, as runc does with a failed command; then the warnings held. */
  error (msg: string): void {
    this.write('error', msg)
    // writeSync: a stream write costs ~8 ms more in a compiled bun executable, and could be cut short by exit.
    writeSync(2, `ocirt: ${msg}\n`)
    this.flushWarnings()
  }
}
