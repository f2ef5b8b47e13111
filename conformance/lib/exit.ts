/**
 * Last-resort cleanup when a test process ends without its teardowns having
 * run: a test forgot one, threw past it, or was killed (tap sends SIGTERM to
 * a test file that times out). Without this a killed test process would leave
 * running containers, which would then be re-parented away from us and never
 * reaped.
 *
 * Cleanups are synchronous and run once, in phase order: 'containers'
 * (runtime delete --force), 'processes' (kill and reap inherited orphans),
 * 'files' (temp dirs). On a signal they run and the signal is re-raised, so
 * whoever else handles it (tap's signal-exit) still sees it. (SIGALRM is how
 * tap ends a test process that ran over its timeout.)
 */
type Phase = 'containers' | 'processes' | 'files'
const ORDER: Phase[] = ['containers', 'processes', 'files']
const cleanups: Record<Phase, Array<() => void>> = { containers: [], processes: [], files: [] }
let installed = false
let ran = false

function runAll (): void {
  if (ran) return
  ran = true
  for (const phase of ORDER) {
    for (const fn of cleanups[phase]) {
      try { fn() } catch {}
    }
  }
}

function install (): void {
  if (installed) return
  installed = true
  process.on('exit', runAll)
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM'] as const) {
    const handler = (): void => {
      runAll()
      process.removeListener(sig, handler)
      process.kill(process.pid, sig)
    }
    process.on(sig, handler)
  }
}

/** Register a synchronous last-resort cleanup. */
export function atExit (phase: Phase, fn: () => void): void {
  install()
  cleanups[phase].push(fn)
}
