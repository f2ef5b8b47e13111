// kill's signal names and numbers (issue 13 item 6): the numbers now come
// from a table generated at build time (scripts/build-constants.mjs), so this
// pins what `kill` accepts to what it accepted when the table was kept by hand.
// runc 1.1.5 accepts fewer names (no SIGIOT, SIGCLD, SIGPOLL, no RTMIN/RTMAX
// forms) and any number; conformance/deviations.md "kill-signal-names".
import t from 'tap'
import { parseSignal } from '../../src/container/signal.js'
import { ERRNO } from '../../src/linux/constants.js'

/** The table src/linux/constants.ts kept by hand until the generated one replaced it. */
const HAND_KEPT: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16,
  SIGCHLD: 17, SIGCLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23,
  SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30,
  SIGSYS: 31,
}

t.test('every signal name kill accepted keeps its number, in each spelling', async t => {
  for (const [name, n] of Object.entries(HAND_KEPT)) {
    const bare = name.slice(3)
    t.equal(parseSignal(name), n, name)
    t.equal(parseSignal(bare), n, bare)
    t.equal(parseSignal(bare.toLowerCase()), n, bare.toLowerCase())
    t.equal(parseSignal(String(n)), n, String(n))
  }
})

t.test('names outside the table are refused with the same words', async t => {
  t.throws(() => parseSignal('SIGUNUSED'), { message: 'unknown signal "SIGUNUSED"' })
  t.throws(() => parseSignal('SIGNOPE'), { message: 'unknown signal "SIGNOPE"' })
  t.throws(() => parseSignal('constructor'), { message: 'unknown signal "constructor"' })
  t.throws(() => parseSignal('__proto__'), { message: 'unknown signal "__proto__"' })
  t.throws(() => parseSignal(''), { message: 'unknown signal ""' })
})

t.test('real-time signals and numbers keep their range (34 to 64)', async t => {
  t.equal(parseSignal('RTMIN'), 34)
  t.equal(parseSignal('SIGRTMIN+3'), 37)
  t.equal(parseSignal('rtmax-2'), 62)
  t.equal(parseSignal('64'), 64)
  t.throws(() => parseSignal('RTMIN+31'), { message: 'invalid signal RTMIN+31' })
  t.throws(() => parseSignal('65'), { message: 'invalid signal number 65' })
})

t.test('the generated errno numbers are Linux\'s', async t => {
  t.same([ERRNO.EPERM, ERRNO.ENOENT, ERRNO.EACCES, ERRNO.EXDEV, ERRNO.EINVAL, ERRNO.ENOSYS, ERRNO.ELOOP], [1, 2, 13, 18, 22, 38, 40])
})
