/**
 * `run` and `exec` in the foreground of a process with a terminal and no
 * --console-socket (runc does the same): ocirt is the console socket's other
 * end, receives the pty master, and copies between its own stdio and the pty
 * until the container exits. Its own terminal, if it has one, is put in raw
 * mode meanwhile, so that keys reach the container as typed.
 */
import { closeSync, createReadStream, mkdtempSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OcirtError } from '../errors.js'
import { loadNative } from '../native.js'

const MASTER_TIMEOUT_MS = 5000
const DRAIN_TIMEOUT_MS = 2000

export class TerminalProxy {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ocirt-console-'))
  readonly socketPath = join(this.dir, 'console.sock')
  private readonly listenFd = loadNative().listenUnix(this.socketPath)
  private master = -1
  private rawMode = false
  private outputDone: Promise<void> = Promise.resolve()

  /** After create: take the master the init sent, and start copying. */
  attach (): void {
    const got = loadNative().receiveFd(this.listenFd, MASTER_TIMEOUT_MS)
    this.closeSocket()
    if (got === null) throw new OcirtError('the container did not send its terminal over the console socket')
    const master = got.fd
    this.master = master
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true)
      this.rawMode = true
    }
    process.stdin.on('data', (chunk: Buffer) => { try { writeSync(master, chunk) } catch { /* the pty is gone */ } })
    process.stdin.on('error', () => {})
    process.stdin.resume()
    const output = createReadStream('', { fd: master, autoClose: false })
    this.outputDone = new Promise(resolve => {
      output.on('data', (chunk: Buffer | string) => { writeSync(1, typeof chunk === 'string' ? Buffer.from(chunk) : chunk) })
      // EIO once the last holder of the pty's other side has exited.
      output.on('error', () => resolve())
      output.on('end', () => resolve())
    })
  }

  /** After the container exited: copy what is left, then give the terminal back. */
  async finish (): Promise<void> {
    await Promise.race([this.outputDone, new Promise(resolve => setTimeout(resolve, DRAIN_TIMEOUT_MS))])
    this.close()
  }

  close (): void {
    this.closeSocket()
    if (this.rawMode) process.stdin.setRawMode(false)
    this.rawMode = false
    process.stdin.pause()
    if (this.master >= 0) { try { closeSync(this.master) } catch {} }
    this.master = -1
  }

  private closeSocket (): void {
    try { closeSync(this.listenFd) } catch { /* closed already */ }
    rmSync(this.dir, { recursive: true, force: true })
  }
}
