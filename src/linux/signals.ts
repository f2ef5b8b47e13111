/**
 * signal(7) names and numbers, apart from constants.ts's mount and clone
 * flags: `kill` needs only these, and a compiled bun pays for every byte of
 * JavaScript a command loads (issue 11, docs/performance.md "Start-up (issue 11)").
 */
import { SIGNALS as GENERATED_SIGNALS } from './os-constants.generated.js'

/**
 * signal(7) numbers by name: the generated table (node's os.constants.signals
 * at build time), plus SIGCLD, glibc's old alias of SIGCHLD, which node does
 * not list and `kill` has always accepted.
 */
export const SIGNALS = { ...GENERATED_SIGNALS, SIGCLD: GENERATED_SIGNALS.SIGCHLD } as const
export type SignalName = keyof typeof SIGNALS

/** The number of a signal named as in SIGNALS ("SIGKILL"), or undefined for any other string. */
export function signalNumber (name: string): number | undefined {
  return Object.hasOwn(SIGNALS, name) ? SIGNALS[name as SignalName] : undefined
}

export { SIGRTMAX, SIGRTMIN } from './os-constants.generated.js'
