/** Blocks the thread for `ms` milliseconds: ocirt's commands are synchronous, with no event loop turn to wait in. */
export function sleepSync (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
