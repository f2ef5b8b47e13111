/**
 * linux.seccomp (config-linux.md "Seccomp") → a BPF program, compiled with
 * libseccomp in the parent. The init loads it with seccomp(2): before
 * dropping capabilities without noNewPrivileges, else just before execve.
 */
import { ConfigError } from '../errors.js'
import { loadNative } from '../native.js'
import type { Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompFlag, LinuxSeccompOperator } from '../spec/types.js'

const EPERM = 1
const ENOSYS = 38

/** libseccomp's action values (seccomp.h): the errno goes in the low 16 bits. */
function actionValue (action: LinuxSeccompAction, errnoRet: number | undefined): number {
  const errno = (errnoRet ?? EPERM) & 0xffff
  switch (action) {
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return 0x00000000
    case 'SCMP_ACT_KILL_PROCESS': return 0x80000000
    case 'SCMP_ACT_TRAP': return 0x00030000
    case 'SCMP_ACT_ERRNO': return 0x00050000 | errno
    case 'SCMP_ACT_TRACE': return 0x7ff00000 | errno
    case 'SCMP_ACT_LOG': return 0x7ffc0000
    case 'SCMP_ACT_ALLOW': return 0x7fff0000
    case 'SCMP_ACT_NOTIFY': return 0x7fc00000
  }
}

/** enum scmp_compare */
const OPERATORS: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
}

/** seccomp(2) SECCOMP_FILTER_FLAG_* */
const FLAGS: Readonly<Record<LinuxSeccompFlag, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
}

/** seccomp(2): the kernel returns a listener fd for SCMP_ACT_NOTIFY rules; it goes to listenerPath. */
const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8
const SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16

/** For `features`: what this build handles. */
export const SECCOMP_ACTIONS: readonly LinuxSeccompAction[] = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
]
export const SECCOMP_OPERATORS = Object.keys(OPERATORS) as LinuxSeccompOperator[]
export const SECCOMP_FLAGS = Object.keys(FLAGS) as LinuxSeccompFlag[]

/** The actions this kernel has (SECCOMP_GET_ACTION_AVAIL; libseccomp's values are the kernel's, the errno bits aside). */
export function kernelSeccompActions (): LinuxSeccompAction[] {
  const native = loadNative()
  return SECCOMP_ACTIONS.filter(a => native.seccompSupported('action', (actionValue(a, 0) & 0xffff0000) >>> 0))
}

/** The filter flags this kernel accepts. */
export function kernelSeccompFlags (): LinuxSeccompFlag[] {
  const native = loadNative()
  // WAIT_KILLABLE_RECV is valid only together with NEW_LISTENER.
  return SECCOMP_FLAGS.filter(f => native.seccompSupported('flag', FLAGS[f] | (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0)))
}
/** The architectures libseccomp 2.5 knows. */
export const SECCOMP_ARCHS: readonly Arch[] = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']

/** linux/bpf_common.h */
const BPF_MAXINSNS = 4096

export interface SeccompPlan { filter: Buffer, flags: number, warnings: string[] }

/** A filter with SCMP_ACT_NOTIFY rules: its listener fd goes to the agent at listenerPath (semantic.ts insists on one). */
export function usesSeccompAgent (seccomp: LinuxSeccomp | undefined): seccomp is LinuxSeccomp & { listenerPath: string } {
  return seccomp?.listenerPath !== undefined && (seccomp.syscalls ?? []).some(s => s.action === 'SCMP_ACT_NOTIFY')
}

interface Rule { syscall: string, action: number, args: Array<{ index: number, op: number, value: bigint, valueTwo: bigint }> }

function argCompare (a: LinuxSeccompArg, pointer: string): Rule['args'][number] {
  const op = OPERATORS[a.op]
  if (op === undefined) throw new ConfigError('config.json', `${pointer}/op`, `unknown operator "${a.op}"`)
  return { index: a.index, op, value: BigInt(a.value), valueTwo: BigInt(a.valueTwo ?? 0) }
}

export function planSeccomp (seccomp: LinuxSeccomp | undefined): SeccompPlan | null {
  if (seccomp === undefined) return null
  const warnings: string[] = []
  const rules: Rule[] = []
  ;(seccomp.syscalls ?? []).forEach((entry, i) => {
    const at = `/linux/seccomp/syscalls/${i}`
    const action = actionValue(entry.action, entry.errnoRet)
    const args = (entry.args ?? []).map((a, k) => argCompare(a, `${at}/args/${k}`))
    // libseccomp takes one comparison per argument in a rule; several on one
    // argument become one rule each (any of them matches), as runc does.
    const repeated = new Set(args.map(a => a.index)).size !== args.length
    for (const syscall of entry.names) {
      if (repeated) for (const a of args) rules.push({ syscall, action, args: [a] })
      else rules.push({ syscall, action, args })
    }
  })
  const architectures = (seccomp.architectures ?? []).map(a => a.replace(/^SCMP_ARCH_/, '').toLowerCase())
  // As runc (libcontainer/seccomp/patchbpf), for the listed architectures: a
  // syscall newer than every one the profile names gets ENOSYS, so that a C
  // library falls back (glibc: clone3 -> clone) under a profile older than
  // the syscall. Not where the default lets syscalls through (ALLOW, LOG,
  // TRACE: a tracer handles new syscalls itself), nor where it is ENOSYS already.
  const defaultAllows = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(seccomp.defaultAction)
  const defaultIsEnosys = seccomp.defaultAction === 'SCMP_ACT_ERRNO' && seccomp.defaultErrnoRet === ENOSYS
  let compiled
  try {
    compiled = loadNative().compileSeccomp({
      defaultAction: actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet),
      architectures,
      rules,
      enosysStub: !defaultAllows && !defaultIsEnosys,
    })
  } catch (e) {
    throw new ConfigError('config.json', '/linux/seccomp', (e as Error).message)
  }
  // sock_fprog.len is 16 bits and the kernel takes at most BPF_MAXINSNS instructions of 8 bytes:
  // a longer program must be refused here, not cut to its low 16 bits.
  const instructions = compiled.filter.length / 8
  if (instructions > BPF_MAXINSNS) {
    throw new ConfigError('config.json', '/linux/seccomp', `the filter compiles to ${instructions} BPF instructions; the kernel loads at most ${BPF_MAXINSNS}`)
  }
  if (compiled.unknownSyscalls.length > 0) {
    warnings.push(`linux.seccomp: syscalls this kernel's architecture does not have were skipped: ${[...new Set(compiled.unknownSyscalls)].join(', ')}`)
  }
  let flags = 0
  ;(seccomp.flags ?? []).forEach((f, i) => {
    const flag = FLAGS[f]
    if (flag === undefined) throw new ConfigError('config.json', `/linux/seccomp/flags/${i}`, `unknown flag "${f}"`)
    // seccomp(2) refuses it (EINVAL) on a filter without a listener.
    if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !usesSeccompAgent(seccomp)) {
      throw new ConfigError('config.json', `/linux/seccomp/flags/${i}`, `${f} needs SCMP_ACT_NOTIFY rules and a listenerPath (it applies to the agent's notifications)`)
    }
    flags |= flag
  })
  // config-linux.md: "If the SCMP_ACT_NOTIFY action is not used this value [listenerPath] is ignored."
  if (usesSeccompAgent(seccomp)) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER
    // seccomp(2) takes TSYNC with NEW_LISTENER only together with TSYNC_ESRCH.
    if ((flags & FLAGS.SECCOMP_FILTER_FLAG_TSYNC) !== 0) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH
  }
  return { filter: compiled.filter, flags, warnings }
}
