/**
 * OCIRT_TRACE_TIMING=1 makes ocirt write `ocirt-timing <mark> <ns>` lines to
 * stderr at the phases of a command, for bench/ to split a command's time
 * into process start, JS load, validation and kernel work. <ns> is wall-clock
 * time since the epoch in nanoseconds, which bench/ reads around its spawn
 * too (bun's process.hrtime counts from its own start, not from boot).
 * Unset, a mark is one branch on a constant.
 */
import { printError } from './output.js'

const enabled = process.env.OCIRT_TRACE_TIMING === '1'

export function mark (name: string): void {
  if (enabled) writeMark(name)
}

/**
 * A function of its own: the first call of a function whose body names
 * `performance` costs a compiled bun about 160 K instructions, whether that
 * line runs or not (bun makes the global on first reference), and every
 * ocirt process calls mark.
 */
function writeMark (name: string): void {
  printError(`ocirt-timing ${name} ${BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))}\n`)
}
