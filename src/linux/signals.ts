/**
 * signal(7) names and numbers, apart from constants.ts's mount and clone
 * flags: `kill` needs only these, and a compiled bun pays for the code and
 * the object literals a command loads, run or not (issue 11,
 * docs/performance.md "Start-up (issue 11)").
 */
import { SIGNALS } from './os-constants.generated.js'

/** signal(7) numbers by name: the generated table (node's os.constants.signals at build time). */
export { SIGNALS }
/** A name in SIGNALS, or SIGCLD, glibc's old alias of SIGCHLD, which node does not list and `kill` has always accepted. */
export type SignalName = keyof typeof SIGNALS | 'SIGCLD'

/**
 * The number of a signal named as in SIGNALS ("SIGKILL") or SIGCLD, or
 * undefined for any other string. SIGCLD is answered here rather than added
 * to a copy of the table: a second object of 34 keys built at load costs
 * more than the test.
 */
export function signalNumber (name: string): number | undefined {
  if (name === 'SIGCLD') return SIGNALS.SIGCHLD
  return Object.hasOwn(SIGNALS, name) ? SIGNALS[name as keyof typeof SIGNALS] : undefined
}

export { SIGRTMAX, SIGRTMIN } from './os-constants.generated.js'
