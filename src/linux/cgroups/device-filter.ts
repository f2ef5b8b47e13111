/**
 * The cgroup v2 device controller: linux.resources.devices compiled into an
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.
 *
 * cgroup v2 has no devices controller (cgroup-v2.rst "Device controller"): the
 * kernel runs the BPF_CGROUP_DEVICE programs attached to the cgroup on every
 * mknod(2) and open(2) of a device node and refuses the access with EPERM when
 * one of them returns 0. native.attachDeviceFilter loads and attaches what this
 * file produces.
 *
 * Semantics. config-linux.md "Allowed Device list": "The runtime MUST apply
 * entries in the listed order", as cgroup v1's devices.allow/deny files would.
 * Applying them in order means the last rule that speaks about an access wins:
 * for every access bit the request asks for (m, r, w), the decision is the one
 * of the last rule whose type, major and minor match the device and whose
 * access names that bit; nothing matching means deny. The request is allowed
 * only if each of its bits is allowed (open(O_RDWR) asks for r and w at once).
 * An `a` rule without numbers therefore resets everything before it (allow: all
 * allowed, deny: all denied), as writing `a` does in cgroup v1.
 * The rule list is complete: the caller adds the runtime's default devices.
 *
 * The program walks the rules from the last to the first with the bits still
 * undecided in r3: a matching deny rule naming an undecided bit denies; a
 * matching allow rule decides its bits, and allows once none is left.
 */
import { ConfigError } from '../../errors.js'
import type { LinuxDeviceCgroup } from '../../spec/types.js'

/** include/uapi/linux/bpf.h: struct bpf_cgroup_dev_ctx and its constants. */
const DEVCG_DEV_BLOCK = 1
const DEVCG_DEV_CHAR = 2
const DEVCG_ACC_MKNOD = 1
const DEVCG_ACC_READ = 2
const DEVCG_ACC_WRITE = 4
const DEVCG_ACC_ALL = DEVCG_ACC_MKNOD | DEVCG_ACC_READ | DEVCG_ACC_WRITE
const CTX_ACCESS_TYPE = 0 // u32: (access << 16) | device type
const CTX_MAJOR = 4
const CTX_MINOR = 8

/** Opcodes (include/uapi/linux/bpf_common.h, bpf.h): class | operation | source. */
const BPF_LDX_MEM_W = 0x61 // dst = *(u32 *)(src + off)
const BPF_ALU32_AND_K = 0x54
const BPF_ALU32_RSH_K = 0x74
const BPF_ALU64_MOV_K = 0xb7
const BPF_JMP_JA = 0x05
const BPF_JMP_JNE_K = 0x55
const BPF_JMP_JSET_K = 0x45
const BPF_JMP_EXIT = 0x95

const R0 = 0
const R1 = 1 // the context pointer on entry
const TYPE = 2
const PENDING = 3 // the access bits not decided yet
const MAJOR = 4
const MINOR = 5

/** Values outside this range match no device: Linux's majors have 12 bits and its minors 20. */
const MAX_DEVICE_NUMBER = 0x7fffffff

interface Insn { code: number, dst: number, src: number, off: number, imm: number }

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm })

/** Where the rules came from, for the messages: a rule's pointer is `${pointer}/${index}`. */
export interface DeviceRulesSource { file: string, pointer: string }

/**
 * The BPF program (struct bpf_insn[], 8 bytes each, little-endian) that
 * enforces `rules` as described above. Throws ConfigError for an access string
 * with a letter other than r, w, m, or a type other than a, c, b.
 */
export function compileDeviceFilter (
  rules: readonly LinuxDeviceCgroup[],
  source: DeviceRulesSource = { file: 'config.json', pointer: '/linux/resources/devices' }
): Buffer {
  const prologue: Insn[] = [
    insn(BPF_LDX_MEM_W, TYPE, R1, CTX_ACCESS_TYPE, 0),
    insn(BPF_ALU32_AND_K, TYPE, 0, 0, 0xffff),
    insn(BPF_LDX_MEM_W, PENDING, R1, CTX_ACCESS_TYPE, 0),
    insn(BPF_ALU32_RSH_K, PENDING, 0, 0, 16),
    insn(BPF_LDX_MEM_W, MAJOR, R1, CTX_MAJOR, 0),
    insn(BPF_LDX_MEM_W, MINOR, R1, CTX_MINOR, 0),
  ]
  const blocks: Insn[][] = []
  for (const [i, rule] of [...rules.entries()].reverse()) {
    const block = ruleBlock(rule, source, i)
    if (block !== null) blocks.push(block)
  }
  const program = [...prologue, ...blocks.flat(), ...verdict(false)]
  const out = Buffer.alloc(program.length * 8)
  program.forEach((ins, i) => {
    out.writeUInt8(ins.code, i * 8)
    out.writeUInt8((ins.src << 4) | ins.dst, i * 8 + 1)
    out.writeInt16LE(ins.off, i * 8 + 2)
    out.writeInt32LE(ins.imm, i * 8 + 4)
  })
  return out
}

function verdict (allow: boolean): Insn[] {
  return [insn(BPF_ALU64_MOV_K, R0, 0, 0, allow ? 1 : 0), insn(BPF_JMP_EXIT, 0, 0, 0, 0)]
}

/**
 * The instructions for one rule; their jumps with the placeholder offset
 * NEXT_RULE skip to the first instruction after the block. null: the rule can
 * match no device.
 */
function ruleBlock (rule: LinuxDeviceCgroup, source: DeviceRulesSource, index: number): Insn[] | null {
  const at = `${source.pointer}/${index}`
  const access = accessBits(rule.access, source.file, `${at}/access`)
  if (access === 0) return null
  const match: Insn[] = []
  switch (rule.type ?? 'a') {
    case 'a': break
    case 'c': match.push(skipUnless(TYPE, DEVCG_DEV_CHAR)); break
    case 'b': match.push(skipUnless(TYPE, DEVCG_DEV_BLOCK)); break
    default: throw new ConfigError(source.file, `${at}/type`, `device type ${JSON.stringify(rule.type)} is not one of a, c, b`)
  }
  for (const [register, value] of [[MAJOR, rule.major], [MINOR, rule.minor]] as const) {
    // -1 is runc's and the cgroup v1 file's "*"; unset means all (config-linux.md).
    if (value === undefined || value === -1) continue
    if (!Number.isInteger(value) || value < 0 || value > MAX_DEVICE_NUMBER) return null
    match.push(skipUnless(register, value))
  }
  const decide: Insn[] = rule.allow
    ? [
        // pending &= ~access; if (pending != 0) next rule; else allow
        insn(BPF_ALU32_AND_K, PENDING, 0, 0, ~access),
        insn(BPF_JMP_JNE_K, PENDING, 0, NEXT_RULE, 0),
        ...verdict(true),
      ]
    : [
        // if (pending & access) deny; else next rule
        insn(BPF_JMP_JSET_K, PENDING, 0, 1, access),
        insn(BPF_JMP_JA, 0, 0, NEXT_RULE, 0),
        ...verdict(false),
      ]
  const block = [...match, ...decide]
  return block.map((ins, i) => ins.off === NEXT_RULE ? { ...ins, off: block.length - i - 1 } : ins)
}

/** Placeholder jump offset, resolved in ruleBlock (no real offset is this negative). */
const NEXT_RULE = -0x8000

function skipUnless (register: number, value: number): Insn {
  return insn(BPF_JMP_JNE_K, register, 0, NEXT_RULE, value)
}

function accessBits (access: string | undefined, file: string, pointer: string): number {
  // Unset means all, like the other fields of the entry.
  if (access === undefined) return DEVCG_ACC_ALL
  let bits = 0
  for (const letter of access) {
    if (letter === 'r') bits |= DEVCG_ACC_READ
    else if (letter === 'w') bits |= DEVCG_ACC_WRITE
    else if (letter === 'm') bits |= DEVCG_ACC_MKNOD
    else throw new ConfigError(file, pointer, `device access ${JSON.stringify(access)} may hold only r, w and m`)
  }
  return bits
}
